#!/usr/bin/env python3
"""tcpdrop — a TCP proxy on 127.0.0.1 whose connections can be cut.

usage: tcpdrop.py LISTEN_PORT_FILE TARGET_PORT

Listens on a free loopback port (written to LISTEN_PORT_FILE) and relays
every connection to 127.0.0.1:TARGET_PORT. SIGUSR1 resets every open
connection at once (SO_LINGER 0: the peers see a reset, as after a network
drop or a NAT timeout); new connections are accepted as before. SIGTERM
ends it.
"""
import os, signal, socket, struct, sys, threading

port_file, target = sys.argv[1], int(sys.argv[2])
conns, lock = set(), threading.Lock()

def pipe(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    for s in (a, b):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

def serve(c):
    try:
        u = socket.create_connection(("127.0.0.1", target))
    except OSError:
        c.close()
        return
    with lock:
        conns.update((c, u))
    t = threading.Thread(target=pipe, args=(u, c), daemon=True)
    t.start()
    pipe(c, u)
    t.join()
    with lock:
        conns.difference_update((c, u))
    c.close()
    u.close()

def drop(*_):
    with lock:
        for s in list(conns):
            try:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

signal.signal(signal.SIGUSR1, drop)
signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", 0))
ls.listen(64)
with open(port_file + ".tmp", "w") as f:
    f.write(str(ls.getsockname()[1]))
os.rename(port_file + ".tmp", port_file)
while True:
    try:
        c, _ = ls.accept()
    except InterruptedError:
        continue
    threading.Thread(target=serve, args=(c,), daemon=True).start()
