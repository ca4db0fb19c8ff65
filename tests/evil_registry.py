#!/usr/bin/env python3
"""evil_registry.py - a hostile Docker Registry v2 for the pull tests.

Serves over HTTPS exactly what a directory holds, so a test can hand a
client content that a real registry would refuse to store: blobs that do
not match their digests, manifests with a false Docker-Content-Digest,
broken gzip streams, tar archives with escaping names. It speaks just
enough of the OCI distribution API for `bocker pull`:

  GET /v2/                             200 {}
  GET /v2/NAME/manifests/REF           DIR/NAME/manifests/REF
  GET /v2/NAME/blobs/DIGEST            DIR/blobs/DIGEST

Beside a manifest file, REF.headers may hold a JSON object of response
headers; without it, Content-Type is the manifest's "mediaType" and
Docker-Content-Digest its SHA-256. A manifest named "_any" is served for
every REF of its repository that has no file of its own. Beside a blob,
DIGEST.rate may hold a number: the blob is then sent at that many bytes
a second, read again for every request, so a test can make a download
slow and later fast. Anything else is a 404 with a registry error body.

Every request is logged to --log as one JSON object a line.
"""

import argparse
import hashlib
import json
import os
import re
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROUTE = re.compile(r"^/v2/(.+)/(manifests|blobs)/([^/]+)$")
# A repository name and a reference as the distribution spec allows them;
# anything else cannot name a file below the served directory.
NAME = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-]"
                  r"[a-z0-9]+)*)*$")
REF = re.compile(r"^(?:[A-Za-z0-9_][A-Za-z0-9._-]{0,127}|sha256:[0-9a-f]{64}"
                 r")$")
CHUNK = 16384


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "evil-registry"

    def log_message(self, format, *args):
        pass

    def log(self, status, **extra):
        entry = {"time": round(time.time(), 3), "path": self.path,
                 "status": status}
        entry.update(extra)
        with self.server.log_lock:
            with open(self.server.log_path, "a") as f:
                f.write(json.dumps(entry) + "\n")

    def send(self, status, body, headers=None):
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.log(status)

    def not_found(self, code):
        body = json.dumps({"errors": [{"code": code,
                                       "message": code.lower().replace(
                                           "_", " ")}]}).encode()
        self.send(404, body, {"Content-Type": "application/json"})

    def do_GET(self):
        if self.path == "/v2/" or self.path == "/v2":
            self.send(200, b"{}", {
                "Content-Type": "application/json",
                "Docker-Distribution-API-Version": "registry/2.0"})
            return
        m = ROUTE.match(self.path)
        if m is None or not NAME.match(m.group(1)) or \
                not REF.match(m.group(3)):
            self.not_found("NAME_UNKNOWN")
            return
        name, kind, ref = m.groups()
        if kind == "manifests":
            self.manifest(name, ref)
        else:
            self.blob(ref)

    def manifest(self, name, ref):
        base = os.path.join(self.server.root, name, "manifests")
        path = os.path.join(base, ref)
        if not os.path.isfile(path):
            path = os.path.join(base, "_any")
        try:
            with open(path, "rb") as f:
                body = f.read()
        except FileNotFoundError:
            self.not_found("MANIFEST_UNKNOWN")
            return
        try:
            with open(path + ".headers") as f:
                headers = json.load(f)
        except FileNotFoundError:
            try:
                media = json.loads(body).get("mediaType", "")
            except ValueError:
                media = ""
            headers = {
                "Content-Type": media or "application/json",
                "Docker-Content-Digest":
                    "sha256:" + hashlib.sha256(body).hexdigest(),
            }
        self.send(200, body, headers)

    def blob(self, digest):
        path = os.path.join(self.server.root, "blobs", digest)
        try:
            size = os.path.getsize(path)
        except OSError:
            self.not_found("BLOB_UNKNOWN")
            return
        try:
            with open(path + ".rate") as f:
                rate = float(f.read())
        except (OSError, ValueError):
            rate = 0
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Docker-Content-Digest", digest)
        self.send_header("Content-Length", str(size))
        self.end_headers()
        sent = 0
        try:
            with open(path, "rb") as f:
                while True:
                    data = f.read(CHUNK)
                    if not data:
                        break
                    self.wfile.write(data)
                    self.wfile.flush()
                    sent += len(data)
                    if rate > 0:
                        time.sleep(len(data) / rate)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError) as e:
            self.log(200, sent=sent, size=size, error=str(e))
            self.close_connection = True
            return
        self.log(200, sent=sent, size=size)


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A client that drops the connection is what several tests do.
        err = sys.exc_info()[1]
        with self.log_lock:
            with open(self.log_path, "a") as f:
                f.write(json.dumps({"time": round(time.time(), 3),
                                    "error": repr(err)}) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dir", required=True,
                        help="directory of the manifests and blobs served")
    parser.add_argument("--cert", required=True,
                        help="PEM server certificate")
    parser.add_argument("--key", required=True, help="PEM private key")
    parser.add_argument("--port-file", required=True,
                        help="file that receives the listening port")
    parser.add_argument("--log", required=True,
                        help="request log, one JSON object a line")
    args = parser.parse_args()

    server = Server(("127.0.0.1", 0), Handler)
    server.root = os.path.realpath(args.dir)
    server.log_path = args.log
    server.log_lock = threading.Lock()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.cert, args.key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    # Written last and renamed, so the reader never sees half a number.
    with open(args.port_file + ".tmp", "w") as f:
        f.write("%d\n" % server.server_address[1])
    os.rename(args.port_file + ".tmp", args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
