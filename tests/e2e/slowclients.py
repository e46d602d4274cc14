#!/usr/bin/env python3
"""Slow-client attack against sealcamd, measuring a normal client meanwhile.

usage: slowclients.py PORT MODE NCONN SECONDS
  MODE headers: each connection sends a request head one byte every 0.5 s
  MODE body:    complete head (JSON, Content-Length 4096), then one body byte a second
Prints one JSON object: attackers cut by the server, normal requests made
during the attack, their worst latency in ms, and how many failed.
"""
import json, socket, sys, time, http.client

port, mode, nconn, secs = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
head = (b"POST /v1/login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\nContent-Length: 4096\r\n"
        b"X-Padding: " + b"a" * 200 + b"\r\n\r\n")
socks = []
for _ in range(nconn):
    s = socket.create_connection(("127.0.0.1", port))
    s.setblocking(False)
    if mode == "body":
        s.sendall(head)
    socks.append([s, 0, False])   # socket, bytes sent of the drip, closed by server

def drip(entry):
    s, pos, closed = entry
    if closed:
        return
    try:
        if mode == "headers":
            s.send(head[pos % (len(head) - 4):][:1])   # never finish the head
        else:
            s.send(b" ")
        entry[1] += 1
        s.recv(4096)                 # a response or EOF means: cut
        entry[2] = True
    except BlockingIOError:
        pass
    except OSError:
        entry[2] = True

worst, made, failed = 0.0, 0, 0
start = time.time()
next_drip = 0.0
interval = 0.5 if mode == "headers" else 1.0
while time.time() - start < secs:
    now = time.time()
    if now >= next_drip:
        for e in socks:
            drip(e)
        next_drip = now + interval
    t0 = time.time()
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request("GET", "/healthz")
        r = c.getresponse()
        r.read()
        c.close()
        if r.status != 200:
            failed += 1
    except Exception:
        failed += 1
    worst = max(worst, (time.time() - t0) * 1000)
    made += 1
    time.sleep(0.2)
cut = sum(1 for e in socks if e[2])
for e in socks:
    e[0].close()
print(json.dumps({"cut": cut, "attackers": nconn, "requests": made,
                  "worst_ms": round(worst, 1), "failed": failed}))
