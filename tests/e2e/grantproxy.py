#!/usr/bin/env python3
"""A misbehaving server for the consent-grant tests: a reverse proxy in
front of sealcamd that alters chosen answers, to show that the staff client
(and the owner's client) refuse what does not verify.

usage: grantproxy.py UPSTREAM_PORT PORT_FILE CONTROL_FILE LOG_FILE

The proxy binds 127.0.0.1:0 and writes its port to PORT_FILE. Before each
request it reads CONTROL_FILE (one mode word, or empty for none):

  strip_access_proof   POST .../access: the answer without its log receipt
  other_entry_proof    POST .../access: the receipt of the grant's creation
                       (a valid proof, of another entry)
  flip_grant_sig       GET /v1/grants/{id}: a bit of the grant document's
                       signature flipped
  flip_put_grant_sig   PUT /v1/grants/{id}: a bit of the uploaded grant
                       document's signature flipped on the way in
  swap_object FILE     GET .../objects/...: FILE's bytes instead (an object
                       of another camera, say)

Every request is logged to LOG_FILE as "METHOD PATH STATUS".
"""
import base64, http.client, http.server, json, socketserver, sys

UP, PORT_FILE, CONTROL, LOG = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
GRANT_RECEIPTS = {}   # grant id -> its creation receipt, seen in GET /v1/grants/{id}


def mode():
    try:
        return open(CONTROL).read().split()
    except OSError:
        return []


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_ANY(self):
        m = mode()
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        path = self.path
        if m[:1] == ["flip_put_grant_sig"] and self.command == "PUT" and \
                path.startswith("/v1/grants/") and len(body) > 4:
            dl = int.from_bytes(body[:4], "big")
            b = bytearray(body)
            b[4 + dl - 1] ^= 0x01
            body = bytes(b)
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in ("host", "content-length", "connection")}
        c = http.client.HTTPConnection("127.0.0.1", UP, timeout=120)
        c.request(self.command, path, body=body if (body or n) else None, headers=headers)
        r = c.getresponse()
        data = r.read()
        status = r.status
        rh = [(k, v) for k, v in r.getheaders()
              if k.lower() not in ("content-length", "transfer-encoding", "connection")]
        c.close()
        base = path.split("?")[0]
        parts = base.strip("/").split("/")
        try:
            if self.command == "GET" and len(parts) == 3 and parts[:2] == ["v1", "grants"] \
                    and status == 200:
                j = json.loads(data)
                if j.get("log"):
                    GRANT_RECEIPTS[parts[2]] = j["log"]
                if m[:1] == ["flip_grant_sig"]:
                    doc = bytearray(base64.b64decode(j["grant"]))
                    doc[-1] ^= 0x01
                    j["grant"] = base64.b64encode(bytes(doc)).decode()
                    data = json.dumps(j).encode()
            if self.command == "POST" and base.endswith("/access") and status == 201:
                j = json.loads(data)
                if m[:1] == ["strip_access_proof"]:
                    j.pop("log", None)
                elif m[:1] == ["other_entry_proof"]:
                    j["log"] = GRANT_RECEIPTS.get(parts[2])
                data = json.dumps(j).encode()
            if m[:1] == ["swap_object"] and self.command == "GET" and "/objects/" in base \
                    and status == 200:
                data = open(m[1], "rb").read()
        except (ValueError, KeyError, OSError):
            pass
        with open(LOG, "a") as f:
            f.write("%s %s %d\n" % (self.command, base, status))
        self.send_response(status)
        for k, v in rh:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_ANY


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


s = Server(("127.0.0.1", 0), Handler)
with open(PORT_FILE + ".tmp", "w") as f:
    f.write(str(s.server_address[1]))
import os
os.rename(PORT_FILE + ".tmp", PORT_FILE)
s.serve_forever()
