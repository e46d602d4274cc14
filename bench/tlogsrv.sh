#!/bin/bash
# bench/tlogsrv.sh — the transparency log through sealcamd's HTTP routes:
#
#  1. durable appends/s: C accounts (default 64) each rotate their vault keys
#     (PUT /v1/me/vault: one log entry, answered once durable) in a loop for
#     BENCH_SECONDS (default 10); appends/s and latency p50/p99. The bound in
#     the same run: one chain appends one entry per batch cycle, so C chains
#     can do at most C / (cycle) per second, cycle = median latency of a
#     lone append (measured first);
#  2. the own-chain route: an account with 1000 entries, GET /v1/me/log
#     (all 1000 with server-computed inclusion proofs), time and bytes.
#
#	bench/tlogsrv.sh        (after make; BUILD=build by default)
set -u
cd "$(dirname "$0")/.."
. tests/e2e/lib.sh
C=${BENCH_CLIENTS:-64}
SECS=${BENCH_SECONDS:-10}
T=$(tmp_dir)

start_sealcamd "$T/s" --tlog-threads "$C" --threads 8 --login-burst 1000 || { echo "sealcamd did not start"; exit 1; }
cat >"$T/b.py" <<'PY'
import base64, http.client, json, os, statistics, sys, threading, time
port, n, secs, mode = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
def call(c, method, path, tok=None, body=None):
    h = {"Content-Type": "application/json"}
    if tok:
        h["Authorization"] = "Bearer " + tok
    c.request(method, path, body=json.dumps(body) if body is not None else None, headers=h)
    r = c.getresponse()
    return r.status, r.read()
def vault(c, tok):
    return call(c, "PUT", "/v1/me/vault", tok, {"sign_pk": os.urandom(32).hex(),
        "box_pk": os.urandom(32).hex(), "backup": base64.b64encode(os.urandom(147)).decode()})[0]
toks = []
for i in range(n):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    st, d = call(c, "POST", "/v1/signup", None, {"email": "b%d-%s@example.com" % (i, mode),
        "password": "password password"})
    toks.append(json.loads(d)["token"])
if mode == "chain":
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for i in range(1000):
        assert vault(c, toks[0]) == 204
    best, size = 1e9, 0
    for i in range(10):
        t = time.perf_counter()
        st, d = call(c, "GET", "/v1/me/log", toks[0])
        best = min(best, time.perf_counter() - t)
        size = len(d)
    e = json.loads(d)["entries"]
    print("chain: GET /v1/me/log, %d entries with proofs (tree %d): best %.1f ms, %d KiB, %.1f us/entry"
          % (len(e), json.loads(d)["size"], best * 1e3, size // 1024, best * 1e6 / len(e)))
    sys.exit(0)
# A lone chain first: the cycle one append takes.
c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
lone = []
for i in range(20):
    t = time.perf_counter()
    assert vault(c, toks[0]) == 204
    lone.append(time.perf_counter() - t)
cycle = statistics.median(lone)
lat, lock, stop = [], threading.Lock(), time.perf_counter() + secs
def worker(tok):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    mine = []
    while time.perf_counter() < stop:
        t = time.perf_counter()
        if vault(c, tok) == 204:
            mine.append(time.perf_counter() - t)
    with lock:
        lat.extend(mine)
t0 = time.perf_counter()
th = [threading.Thread(target=worker, args=(t,)) for t in toks]
for t in th: t.start()
for t in th: t.join()
el = time.perf_counter() - t0
lat.sort()
rate = len(lat) / el
print("lone append: median %.0f ms (batch interval 100 ms + batch write + index row)" % (cycle * 1e3))
print("saturated: %d clients, %d durable appends in %.1f s = %.0f /s, p50 %.0f ms, p99 %.0f ms"
      % (n, len(lat), el, rate, lat[len(lat) // 2] * 1e3, lat[int(len(lat) * 0.99)] * 1e3))
print("bound: %d chains / %.0f ms cycle = %.0f /s; measured/bound = %.2f"
      % (n, cycle * 1e3, n / cycle, rate / (n / cycle)))
PY
python3 "$T/b.py" "$SEALCAMD_PORT" "$C" "$SECS" burst
stop_pid "$SEALCAMD_PID"
start_sealcamd "$T/s2" --tlog-interval 1ms || exit 1
python3 "$T/b.py" "$SEALCAMD_PORT" 1 0 chain
stop_pid "$SEALCAMD_PID"
