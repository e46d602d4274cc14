#!/usr/bin/env python3
"""Authorization matrix for sealcamd, generated from `sealcamd routes`.

usage: authz.py SEALCAMD SEALTOOL URL DATA_DIR WORKDIR

Every route whose access rule is not public is called as: no token, an
expired session, another account, a staff account, another camera's token,
the owner's own camera token (on user routes), and on grant routes a
second staff principal -- each must be refused as PROTOCOL.md says, and no
answer to anyone else may contain the owner's data. Staff (with an active,
logged principal and a grant of alice's) get 403 on every footage, event,
thumbnail and live route: only their grant's routes answer them. Then the owner's own call must succeed (so a refusal is never just a
malformed request). A route with an access rule this file does not know, or
one it cannot exercise successfully, fails the test: adding a route means
adding it here.
"""
import base64, http.client, json, os, subprocess, sys, time, urllib.parse
SEG_HEAD = 160    # a sealed object's first bytes: its header

SEALCAMD, SEALTOOL, URL, DATA, WORK = sys.argv[1:6]
GRANTTOOL = os.path.join(os.path.dirname(SEALTOOL), "granttool")
HOST, PORT = urllib.parse.urlparse(URL).hostname, urllib.parse.urlparse(URL).port
failed = 0

def ok(what): print("ok - " + what, flush=True)
def not_ok(what, detail=""):
    global failed
    failed = 1
    print("not ok - " + what, flush=True)
    for line in str(detail).splitlines()[:10]:
        print("# " + line)

def call(method, path, token=None, body=None, ctype=None):
    c = http.client.HTTPConnection(HOST, PORT, timeout=30)
    h = {}
    if token:
        h["Authorization"] = "Bearer " + token
    if body is not None:
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            ctype = ctype or "application/json"
        h["Content-Type"] = ctype or "application/octet-stream"
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    if r.status == 200 and path.startswith("/v1/camera/live/commands"):
        data = r.read1(4096)      # a command channel never ends: its first line
    else:
        data = r.read()
    c.close()
    return r.status, data

def j(data):
    try:
        return json.loads(data)
    except Exception:
        return None

def tool(*args, stdin=None):
    return subprocess.run([SEALTOOL, *args], check=True, capture_output=True, input=stdin).stdout

def user(email, vault=True):
    st, d = call("POST", "/v1/signup", body={"email": email, "password": "password " + email})
    assert st == 201, (st, d)
    u = j(d)
    if vault:
        box, sign = tool("vault", os.path.join(WORK, email)).decode().split()
        u["box"], u["sign"], u["dir"] = box, sign, os.path.join(WORK, email)
        u["backup"] = base64.b64encode(os.urandom(150)).decode()
        st, d = call("PUT", "/v1/me/vault", u["token"], {"box_pk": box, "sign_pk": sign, "backup": u["backup"]})
        assert st == 204, (st, d)
    u["email"] = email
    return u

# --- the route table --------------------------------------------------------
p = subprocess.run([SEALCAMD, "routes"], capture_output=True)
routes = j(p.stdout)
if p.returncode != 0 or not isinstance(routes, list) or not routes:
    not_ok("sealcamd routes prints the route table and every route has a rule", p.stderr.decode())
    sys.exit(1)
ok("sealcamd routes lists %d routes, each with an access rule" % len(routes))
KNOWN = {"public", "pairing", "user", "user,staff", "creator(pairing_id)", "viewer(cam)", "owner(cam)", "camera",
         "grantor(grant)", "grantee(grant)", "party(grant)"}
unknown = [r for r in routes if r["access"] not in KNOWN]
if unknown:
    not_ok("every access rule has expectations in this matrix", unknown)
else:
    ok("every access rule is one this matrix knows")

# --- principals -----------------------------------------------------------------
A = user("alice@example.com")
B = user("bob@example.com")

def staff(email, role):
    """A staff member: keys (as 'sealcam staff init' makes), registered by the admin tool."""
    sdir = os.path.join(WORK, email)
    box, sign = tool("vault", sdir).decode().split()
    subprocess.run([SEALCAMD, "admin", "staff", "add", email, "--role", role, "--key",
                    "sealcam-staff:" + box + sign, "--password-stdin", "--data-dir", DATA],
                   input=("password " + email + "\n").encode(), check=True, capture_output=True)
    st, d = call("POST", "/v1/login", body={"email": email, "password": "password " + email})
    if st != 200 or j(d).get("role") != "staff":
        not_ok("the staff account %s logs in with role staff" % email, d)
    return {"email": email, "dir": sdir, "token": j(d)["token"], "account_id": j(d)["account_id"]}
S = staff("staff@example.com", "support")
S2 = staff("staff2@example.com", "research")

def register(u, name):
    pid = os.urandom(16).hex()
    call("POST", "/v1/pairings", u["token"], {"pairing_id": pid, "name": name})
    cdir = os.path.join(WORK, "cam-" + pid)
    cid, cpk = tool("camera", cdir).decode().split()
    st, d = call("POST", "/v1/pairings/%s/register" % pid, None,
                 {"camera_id": cid, "camera_pk": cpk, "proof": "00" * 32})
    assert st == 201, (st, d)
    kr = tool("keyring", u["dir"], cid, "1", u["box"]).decode().strip()
    st, d2 = call("PUT", "/v1/cameras/%s/keyring" % cid, u["token"], {"keyring": kr, "members": []})
    assert st == 204, (st, d2)
    seg = tool("seal", cdir, "1", "1", "1795000000000", "4000", "1", "0", "70000", "random", u["box"])
    st, d3 = call("PUT", "/v1/camera/objects/segment/1", j(d)["camera_token"], seg)
    assert st == 201, (st, d3)
    return {"id": cid, "pk": cpk, "dir": cdir, "token": j(d)["camera_token"], "pairing": pid,
            "seg": seg, "keyring": kr}

CA = register(A, "Alice door")
# Alice's camera agent, faked: it keeps the live command channel open and
# answers every "start" with a genuine live stream (sealtool live).
import threading
AGENT = {"hello": False, "posts": [], "stop": False}
def fake_agent():
    while not AGENT["stop"]:
        try:
            c = http.client.HTTPConnection(HOST, PORT, timeout=60)
            c.request("GET", "/v1/camera/live/commands", headers={"Authorization": "Bearer " + CA["token"]})
            r = c.getresponse()
            while r.status == 200:
                line = r.readline()
                if not line:
                    break
                cmd = json.loads(line)
                if cmd.get("type") == "hello":
                    AGENT["hello"] = True
                if cmd.get("type") == "start":
                    stream = tool("live", CA["dir"], cmd["session"], "1", A["box"], "3")
                    u = http.client.HTTPConnection(HOST, PORT, timeout=30)
                    u.request("POST", "/v1/camera/live/" + cmd["session"], body=iter([stream[:500], stream[500:]]),
                              headers={"Authorization": "Bearer " + CA["token"],
                                       "Content-Type": "application/octet-stream"}, encode_chunked=True)
                    ur = u.getresponse()
                    AGENT["posts"].append((ur.status, ur.read()))
                    u.close()
            c.close()
        except Exception:
            pass
        time.sleep(0.2)
threading.Thread(target=fake_agent, daemon=True).start()
for _ in range(100):
    if AGENT["hello"]:
        break
    time.sleep(0.05)
CB = register(B, "Bob door")
# An event of alice's camera, so the watch routes have something of hers
# that nobody else may see.
st, d = call("POST", "/v1/camera/events", CA["token"], {"seq": 1, "kind": "ring", "start_ms": 1795000001000})
if st != 201:
    not_ok("alice's camera announces an event", "%d %s" % (st, d[:200]))
seg2 = tool("seal", CA["dir"], "1", "2", "1795000004000", "4000", "1", "0", "70000", "random", A["box"])

# An expired session of alice: a second sealcamd on the same data with 1 s sessions.
ttl_dir = os.path.join(WORK, "ttl")
os.makedirs(ttl_dir, exist_ok=True)
# (The transparency log has one writer: this second server gets its own.)
srv = subprocess.Popen([SEALCAMD, "--port", "0", "--port-file", ttl_dir + "/port", "--data-dir", DATA,
                        "--tlog-dir", ttl_dir + "/log", "--session-ttl", "1s", "--threads", "1"],
                       stderr=subprocess.DEVNULL)
for _ in range(200):
    if os.path.exists(ttl_dir + "/port"):
        break
    time.sleep(0.05)
p2 = int(open(ttl_dir + "/port").read())
c = http.client.HTTPConnection(HOST, p2, timeout=30)
c.request("POST", "/v1/login", body=json.dumps({"email": A["email"], "password": "password " + A["email"]}),
          headers={"Content-Type": "application/json"})
EXPIRED = json.loads(c.getresponse().read())["token"]
c.close()
srv.terminate(); srv.wait()
time.sleep(1.1)
st, d = call("GET", "/v1/me", EXPIRED)
if st != 401 or j(d)["error"]["code"] != "session_expired":
    not_ok("an expired session of alice exists for the matrix", d)

# A pending pairing of alice (for the creator rule).
PA = os.urandom(16).hex()
call("POST", "/v1/pairings", A["token"], {"pairing_id": PA, "name": "pending"})

# Alice's log id names her chain in the public log: nobody else may learn it.
st, d = call("GET", "/v1/me/log", A["token"])
A["log_id"] = (j(d) or {}).get("log_id", "")
if st != 200 or len(A["log_id"]) != 32:
    not_ok("alice has a log id", d)

# Consent grants: alice grants staff S her segment 1 (G; GR is revoked by
# the positive control), and S logs an access to G (ACC).
def seg_file(c, name):
    path = os.path.join(WORK, name)
    open(path, "wb").write(c["seg"])
    return path
SEGA, SEGB = seg_file(CA, "a.seal"), seg_file(CB, "b.seal")
def grant_body(u, c, segfile):
    body = subprocess.run([GRANTTOOL, "original", u["dir"], c["pk"], S["dir"],
                           str(int(time.time() * 1000) + 86400000), segfile],
                          check=True, capture_output=True).stdout
    return body[12:28].hex(), body
def make_grant(u, c, segfile):
    gid, body = grant_body(u, c, segfile)
    st, d = call("PUT", "/v1/grants/" + gid, u["token"], body)
    if st != 201:
        not_ok("alice grants S a segment", "%d %s" % (st, d[:200]))
    return gid
G = make_grant(A, CA, SEGA)
GR = make_grant(A, CA, SEGA)
st, d = call("POST", "/v1/grants/%s/access" % G, S["token"], {})
ACC = (j(d) or {}).get("access_id", "")
if st != 201 or len(ACC) != 32:
    not_ok("S's access under alice's grant is logged", d)
st, d = call("GET", "/v1/cameras/%s/objects/segment/1" % CA["id"], S["token"])
if st == 403:
    ok("staff S holding alice's grant still gets 403 on her camera's own routes")
else:
    not_ok("staff on camera routes", st)

# What must never reach anyone but alice.
SECRETS = [A["email"].encode(), A["account_id"].encode(), CA["id"].encode(), A["backup"].encode(),
           CA["keyring"].encode(), PA.encode(), A["log_id"].encode(), CA["seg"][:SEG_HEAD],
           G.encode()]

def sample(route, who):
    """Path, query and body that would succeed for alice (keys: who's own)."""
    u = {"other account": B}.get(who, A)
    key = route["method"] + " " + route["path"]
    grant = GR if key == "POST /v1/grants/{grant}/revoke" else G
    path = (route["path"].replace("{cam}", CA["id"]).replace("{pairing_id}", PA)
            .replace("{kind}", "segment").replace("{seq}", "1" if route["method"] == "GET" else "2")
            .replace("{grant}", grant))
    bodies = {
        "PUT /v1/me/vault": {"box_pk": u["box"], "sign_pk": u["sign"], "backup": u["backup"]},
        "POST /v1/pairings": {"pairing_id": os.urandom(16).hex(), "name": "matrix"},
        "PUT /v1/cameras/{cam}/keyring": None,   # filled below: needs a fresh epoch
        "PUT /v1/cameras/{cam}/retention": {"days": 30, "max_bytes": 0},
        "PUT /v1/camera/objects/{kind}/{seq}": seg2,
        "POST /v1/grants/{grant}/revoke": {"revocation": subprocess.run(
            [GRANTTOOL, "revoke", A["dir"], GR], check=True, capture_output=True).stdout.decode().strip()},
        "POST /v1/camera/events": {"seq": 2, "kind": "motion", "start_ms": 1795000002000},
    }
    query = {"GET /v1/users/lookup": "?email=" + B["email"],
             "GET /v1/camera/keyring": "?after_epoch=0&wait=0",
             "GET /v1/grants/{grant}/objects/{kind}/{seq}": "?access=" + ACC,
             "GET /v1/me/events": "?wait=0",
             "GET /v1/events": "?after=0&wait=0",
             "GET /v1/cameras/{cam}/events": "?after=0&wait=0"}.get(key, "")
    body = bodies.get(key)
    if key == "PUT /v1/cameras/{cam}/keyring":
        sample.epoch += 1
        body = {"keyring": tool("keyring", A["dir"], CA["id"], str(sample.epoch), A["box"]).decode().strip(),
                "members": []}
    if key == "PUT /v1/grants/{grant}":
        # A new grant of the caller's own camera (a new id each time).
        gid, body = grant_body(u, CB if u is B else CA, SEGB if u is B else SEGA)
        path = "/v1/grants/" + gid
    if body is None and route["body"] == "json":
        body = {}
    if route["body"] == "live":
        path = "/v1/camera/live/" + os.urandom(16).hex()
        body = b"SEAL"
    return path + query, body
sample.epoch = 1

def fresh(who):
    """A new session for B or staff (so logging it out spends nothing)."""
    u = {"other account": B, "staff": S, "other staff": S2}[who]
    st, d = call("POST", "/v1/login", body={"email": u["email"], "password": "password " + u["email"]})
    return j(d)["token"]

def expect(route, name, token, allowed, ok_2xx_private=False):
    if route["path"] == "/v1/logout" and name in ("other account", "staff", "other staff"):
        token = fresh(name)
    path, body = sample(route, name)
    st, d = call(route["method"], path, token, body)
    label = "%s %s as %s" % (route["method"], route["path"], name)
    # The grantee of alice's grant may learn which camera it is of.
    mine = [CA["id"].encode(), G.encode()] if name == "staff" and route["path"].startswith("/v1/grants") else []
    leaked = [s[:12] for s in SECRETS if s in d and s not in mine]
    if ok_2xx_private and 200 <= st < 300:
        if leaked:
            not_ok(label + ": answers without alice's data", "leaked %s" % leaked)
            return
        ok("%s: %d, nothing of alice's" % (label, st))
        return
    code = (j(d) or {}).get("error", {}).get("code") if st >= 400 else None
    if (st, code) in allowed and not leaked:
        ok("%s: refused %d %s" % (label, st, code))
    else:
        not_ok(label + ": expected one of %s" % allowed, "got %d %s leaked=%s" % (st, d[:200], leaked))

U401 = (401, "unauthorized")
EXP = (401, "session_expired")
F403 = (403, "forbidden")
N404 = (404, "not_found")
matrix = {
    # rule: {principal: allowed outcomes, or "own" = may succeed on its own data}
    "user": {"none": [U401], "expired": [EXP], "staff": [F403], "other staff": [F403],
             "other camera": [F403], "own camera": [F403], "other account": "own"},
    "user,staff": {"none": [U401], "expired": [EXP], "other camera": [F403], "own camera": [F403],
                   "staff": "own", "other staff": "own", "other account": "own"},
    "creator(pairing_id)": {"none": [U401], "expired": [EXP], "staff": [F403], "other staff": [F403],
                            "other camera": [F403], "own camera": [F403], "other account": [N404]},
    "viewer(cam)": {"none": [U401], "expired": [EXP], "staff": [F403], "other staff": [F403],
                    "other camera": [F403], "own camera": [F403], "other account": [N404]},
    "owner(cam)": {"none": [U401], "expired": [EXP], "staff": [F403], "other staff": [F403],
                   "other camera": [F403], "own camera": [F403], "other account": [N404]},
    "camera": {"none": [U401], "expired": [EXP], "staff": [F403], "other staff": [F403],
               "other account": [F403], "owner session": [F403], "other camera": "camera"},
    # Consent grants: alice made grant G to staff S.
    "grantor(grant)": {"none": [U401], "expired": [EXP], "staff": [F403], "other staff": [F403],
                       "other camera": [F403], "own camera": [F403], "other account": [N404]},
    "grantee(grant)": {"none": [U401], "expired": [EXP], "other staff": [N404], "other camera": [F403],
                       "own camera": [F403], "other account": [F403], "owner session": [F403]},
    "party(grant)": {"none": [U401], "expired": [EXP], "other staff": [N404], "other camera": [F403],
                     "own camera": [F403], "other account": [N404]},
}
tokens = {"none": None, "expired": EXPIRED, "staff": S["token"], "other staff": S2["token"],
          "other camera": CB["token"], "own camera": CA["token"], "other account": B["token"],
          "owner session": A["token"]}

for r in routes:
    rule = r["access"]
    if rule in ("public", "pairing"):
        continue
    for who, allowed in matrix.get(rule, {}).items():
        if allowed == "own":
            expect(r, who, tokens[who], [], ok_2xx_private=True)
        elif allowed == "camera":
            # Another camera's token acts on its own camera only.
            if r["method"] == "PUT":
                expect(r, who, tokens[who], [(403, "wrong_camera")])
            elif r["path"] == "/v1/camera/live/{session}":
                # Alice's session ids mean nothing under another camera.
                expect(r, who, tokens[who], [N404])
            else:
                expect(r, who, tokens[who], [], ok_2xx_private=True)
        else:
            expect(r, who, tokens[who], allowed)

# The event watch shows alice her camera's notes, and nobody else's to anyone.
st, d = call("GET", "/v1/events?after=0&wait=0", A["token"])
evs = (j(d) or {}).get("events", [])
if st == 200 and any(e["camera_id"] == CA["id"] and e["type"] == "ring" and e["seq"] == 1 for e in evs) \
        and all(e["camera_id"] == CA["id"] for e in evs):
    ok("alice's event watch lists her camera's ring, and only her cameras' notes")
else:
    not_ok("alice's event watch lists her camera's events", d[:300])
st, d = call("GET", "/v1/events?after=0&wait=0", B["token"])
evs = (j(d) or {}).get("events", [])
if st == 200 and evs and all(e["camera_id"] == CB["id"] for e in evs):
    ok("bob's event watch lists only bob's camera")
else:
    not_ok("bob's event watch lists only bob's camera", d[:300])

# Positive controls: alice (or her camera) succeeds on every route, destructive ones last.
def owner_token(r):
    return CA["token"] if r["access"] == "camera" else S["token"] if r["access"] == "grantee(grant)" \
        else A["token"]
order = sorted([r for r in routes if r["access"] not in ("public", "pairing")],
               key=lambda r: 2 if r["path"] == "/v1/logout" else 1 if r["method"] == "DELETE" else 0)
for r in order:
    if r["path"] in ("/v1/camera/live/commands", "/v1/camera/live/{session}"):
        # Alice's (fake) agent holds the channel and streams: its results.
        for _ in range(100):
            if AGENT["posts"]:
                break
            time.sleep(0.05)
        good = AGENT["hello"] if r["path"].endswith("commands") else \
            any(st == 200 for st, _ in AGENT["posts"])
        if good:
            ok("%s %s as its owner: works (alice's agent)" % (r["method"], r["path"]))
        else:
            not_ok("%s %s as its owner works" % (r["method"], r["path"]), AGENT["posts"])
        continue
    path, body = sample(r, "owner")
    st, d = call(r["method"], path, owner_token(r), body)
    if 200 <= st < 300:
        ok("%s %s as its owner: %d (so the refusals above are real)" % (r["method"], r["path"], st))
    else:
        not_ok("%s %s as its owner succeeds (add a sample to authz.py for new routes)" % (r["method"], r["path"]),
               "%d %s" % (st, d[:200]))

# The public log names chains by log id, never by account id: what anyone
# can read (the entry bundles) does not link entries to accounts.
st, d = call("GET", "/v1/log/checkpoint")
size = int(d.decode().split("\n")[1]) if st == 200 else 0
bundles = b""
for n in range((size + 255) // 256):
    w = min(256, size - n * 256)
    path = "/v1/log/tile/entries/%03d" % n + ("" if w == 256 else ".p/%d" % w)
    st, d = call("GET", path)
    bundles += d if st == 200 else b""
accounts = [bytes.fromhex(u["account_id"]) for u in (A, B, S)]
if size >= 4 and len(bundles) == size * 146 and bytes.fromhex(A["log_id"]) in bundles and \
        not any(a in bundles for a in accounts):
    ok("the public log's %d entries carry log ids, no account id" % size)
else:
    not_ok("entries name log ids, not accounts", "size %d, %d bytes of bundles" % (size, len(bundles)))

# Knowing the e-mail yields nothing; ids are random.
st1, d1 = call("POST", "/v1/login", body={"email": A["email"], "password": "guess guess guess"})
st2, d2 = call("POST", "/v1/login", body={"email": "nobody@example.com", "password": "guess guess guess"})
if st1 == st2 == 401 and d1 == d2:
    ok("alice's e-mail with a wrong password answers exactly like an unknown e-mail")
else:
    not_ok("login does not reveal accounts", (st1, d1, st2, d2))
st, d = call("GET", "/v1/users/lookup?email=" + A["email"])
if st == 401:
    ok("lookup by e-mail needs a session")
else:
    not_ok("lookup without session refused", (st, d))
st, d = call("GET", "/v1/users/lookup?email=" + A["email"], B["token"])
if st == 200 and set(j(d)) == {"account_id", "box_pk", "sign_pk"}:
    ok("another user learns only alice's public keys from her e-mail (to share with her)")
else:
    not_ok("lookup reveals only public keys", (st, d))
ids = [bytes.fromhex(user("u%d@example.com" % i, vault=False)["account_id"]) for i in range(6)]
ints = [int.from_bytes(x, "big") for x in ids]
dist = min(bin(a ^ b).count("1") for i, a in enumerate(ints) for b in ints[i + 1:])
diffs = {ints[i + 1] - ints[i] for i in range(len(ints) - 1)}
if all(len(x) == 16 for x in ids) and dist >= 24 and len(diffs) == len(ints) - 1 and 1 not in diffs:
    ok("account ids are 128-bit, pairwise >= %d bits apart, not sequential" % dist)
else:
    not_ok("ids are random", [x.hex() for x in ids])
sys.exit(failed)
