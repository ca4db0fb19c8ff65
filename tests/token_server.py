#!/usr/bin/python3
"""Issue registry bearer tokens following the Docker token auth spec.

A client that got "401 WWW-Authenticate: Bearer realm=...,service=...,
scope=..." from a registry asks this server for a token:

    GET /token?service=SERVICE&scope=repository:NAME:pull[,push]

and gets {"token": JWT, "access_token": JWT, "expires_in": 300,
"issued_at": ...}. The JWT is signed RS256 with a key whose certificate is
in the registry's auth.token.rootcertbundle. Its header carries "kid", the
libtrust key id of that key, because docker-registry 2.8 finds the
verifying key by that id when the token has no x5c chain and no jwk.

Access rules, meant for tests:
  - anonymous requests get "pull" on every repository except the private
    ones (--private), where they get no access at all, as Docker Hub does;
  - requests with valid Basic credentials (--users) get every requested
    action on every repository, and "*" on registry:catalog:*;
  - requests with invalid Basic credentials get 401.

Every request is logged as one JSON line to --log: the client's user name
and whether it sent credentials, never the password.

Only Python's standard library and the openssl command are used: openssl
reads the signing certificate's public key and signs the tokens.
"""

import argparse
import base64
import binascii
import datetime
import hashlib
import http.server
import json
import os
import secrets
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse

TOKEN_LIFETIME = 300

# Validity starts this many seconds in the past, so that a registry whose
# clock is slightly behind still accepts a fresh token.
NOT_BEFORE_SKEW = 10


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def public_key_der(cert_path):
    """Return the DER SubjectPublicKeyInfo of the certificate at cert_path."""
    pem = subprocess.run(
        ["openssl", "x509", "-in", cert_path, "-noout", "-pubkey"],
        check=True, capture_output=True).stdout.decode("ascii")
    body = "".join(line for line in pem.splitlines()
                   if line and not line.startswith("-----"))
    return base64.b64decode(body)


def libtrust_key_id(spki_der):
    """Return the libtrust key id of a public key given as DER SPKI.

    libtrust's keyIDFromCryptoKey (github.com/docker/libtrust) takes
    the SHA-256 of the DER SubjectPublicKeyInfo, keeps the first 240 bits,
    encodes them in base32 without padding and groups the 48 characters
    by 4 with ':' between the groups.
    """
    encoded = base64.b32encode(hashlib.sha256(spki_der).digest()[:30])
    text = encoded.decode("ascii")
    return ":".join(text[i:i + 4] for i in range(0, len(text), 4))


def load_users(path):
    """Read "user:password" lines; a missing path means no users."""
    users = {}
    if not path:
        return users
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#") or ":" not in line:
                continue
            user, password = line.split(":", 1)
            users[user] = password
    return users


class Issuer:
    """Signing key, identity and access rules of this token server."""

    def __init__(self, args):
        self.key_path = args.sign_key
        self.kid = libtrust_key_id(public_key_der(args.sign_cert))
        self.issuer = args.issuer
        self.service = args.service
        self.private = set(args.private)
        self.users = load_users(args.users)
        self.log_path = args.log
        self.log_lock = threading.Lock()

    def sign(self, data):
        """Return the RSASSA-PKCS1-v1_5 SHA-256 signature of data."""
        return subprocess.run(
            ["openssl", "dgst", "-sha256", "-sign", self.key_path],
            input=data, check=True, capture_output=True).stdout

    def grant(self, scope, user):
        """Return the access entry granted for one scope, or None.

        A scope is TYPE:NAME:ACTIONS; NAME may contain ':' (a registry
        host with a port), so the type is split off the front and the
        actions off the back.
        """
        if scope.count(":") < 2:
            return None
        kind, rest = scope.split(":", 1)
        name, actions = rest.rsplit(":", 1)
        wanted = [a for a in actions.split(",") if a]
        if user is not None:
            granted = wanted
        elif kind == "repository" and name not in self.private:
            granted = [a for a in wanted if a == "pull"]
        else:
            granted = []
        return {"type": kind, "name": name, "actions": granted}

    def token(self, user, access):
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "kid": self.kid}
        claims = {
            "iss": self.issuer,
            "sub": user or "",
            "aud": self.service,
            "exp": now + TOKEN_LIFETIME,
            "nbf": now - NOT_BEFORE_SKEW,
            "iat": now,
            "jti": secrets.token_hex(16),
            "access": access,
        }
        signing_input = (b64url(json.dumps(header).encode()) + "." +
                         b64url(json.dumps(claims).encode()))
        signature = self.sign(signing_input.encode("ascii"))
        return signing_input + "." + b64url(signature)

    def log(self, entry):
        entry["time"] = datetime.datetime.now(
            datetime.timezone.utc).isoformat(timespec="milliseconds")
        line = json.dumps(entry, sort_keys=True)
        with self.log_lock:
            if self.log_path:
                with open(self.log_path, "a", encoding="utf-8") as f:
                    f.write(line + "\n")
            else:
                print(line, file=sys.stderr, flush=True)


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "bocker-token-server/1"
    protocol_version = "HTTP/1.1"
    timeout = 30

    def log_message(self, format, *args):
        # Requests go to the JSON log instead of stderr.
        pass

    def send_json(self, status, body, extra_headers=()):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in extra_headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def send_error_json(self, status, code, message, extra_headers=()):
        body = {"errors": [{"code": code, "message": message}]}
        self.send_json(status, body, extra_headers)

    def basic_user(self, entry):
        """Return (user, ok) from the Authorization header.

        user is None for a request without credentials; ok is False when
        credentials were sent but are wrong or malformed.
        """
        header = self.headers.get("Authorization")
        if header is None:
            entry["auth"] = "none"
            return None, True
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            entry["auth"] = scheme.lower()
            return None, False
        entry["auth"] = "basic"
        try:
            decoded = base64.b64decode(value.strip(), validate=True)
            user, _, password = decoded.decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            entry["auth"] = "basic-malformed"
            return None, False
        entry["user"] = user
        issuer = self.server.issuer
        known = issuer.users.get(user)
        if known is None or not secrets.compare_digest(known, password):
            return user, False
        return user, True

    def do_GET(self):
        issuer = self.server.issuer
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        entry = {
            "method": self.command,
            "path": url.path,
            "service": query.get("service", [None])[0],
            "scope": query.get("scope", []),
            "account": query.get("account", [None])[0],
            "client_id": query.get("client_id", [None])[0],
        }
        try:
            self.answer(issuer, url, query, entry)
        finally:
            issuer.log(entry)

    do_HEAD = do_GET

    def answer(self, issuer, url, query, entry):
        if url.path != "/token":
            entry["status"] = 404
            self.send_error_json(404, "NOT_FOUND", "no such path")
            return
        user, ok = self.basic_user(entry)
        if not ok:
            entry["status"] = 401
            self.send_error_json(
                401, "UNAUTHORIZED", "invalid user name or password",
                [("WWW-Authenticate", 'Basic realm="bocker-token"')])
            return
        service = entry["service"]
        if service is not None and service != issuer.service:
            entry["status"] = 400
            self.send_error_json(
                400, "DENIED",
                "unknown service %r, expected %r" % (service, issuer.service))
            return
        # A scope parameter may name several scopes separated by spaces.
        scopes = [s for value in entry["scope"] for s in value.split(" ") if s]
        access = [a for a in (issuer.grant(s, user) for s in scopes) if a]
        token = issuer.token(user, access)
        entry["status"] = 200
        entry["granted"] = access
        self.send_json(200, {
            "token": token,
            "access_token": token,
            "expires_in": TOKEN_LIFETIME,
            "issued_at": datetime.datetime.now(datetime.timezone.utc)
            .strftime("%Y-%m-%dT%H:%M:%SZ"),
        })

    def do_POST(self):
        # Only GET is implemented. The OAuth2 form (POST /token with a
        # password grant) gets 405, and the request is logged.
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        url = urllib.parse.urlsplit(self.path)
        self.server.issuer.log({"method": "POST", "path": url.path,
                                "status": 405})
        self.send_error_json(405, "UNSUPPORTED", "use GET /token")


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def finish_request(self, request, client_address):
        # The TLS handshake runs here, in the request's own thread, so a
        # client that connects and stalls cannot block other clients.
        request.settimeout(30)
        try:
            conn = self.ssl_context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as e:
            self.issuer.log({"event": "tls handshake failed",
                             "client": "%s:%d" % client_address[:2],
                             "error": str(e)})
            return
        self.RequestHandlerClass(conn, client_address, self)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--addr", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0,
                        help="TCP port; 0 picks a free one")
    parser.add_argument("--port-file",
                        help="write the bound port here once listening")
    parser.add_argument("--tls-cert", required=True,
                        help="PEM server certificate chain for HTTPS")
    parser.add_argument("--tls-key", required=True)
    parser.add_argument("--sign-key", required=True,
                        help="PEM RSA private key that signs the tokens")
    parser.add_argument("--sign-cert", required=True,
                        help="its certificate, as in rootcertbundle")
    parser.add_argument("--issuer", required=True)
    parser.add_argument("--service", required=True)
    parser.add_argument("--users", help='file of "user:password" lines')
    parser.add_argument("--private", action="append", default=[],
                        help="a repository anonymous clients may not pull")
    parser.add_argument("--log", help="JSON lines request log; else stderr")
    args = parser.parse_args()

    issuer = Issuer(args)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.tls_cert, args.tls_key)
    server = Server((args.addr, args.port), Handler)
    server.ssl_context = context
    server.issuer = issuer
    port = server.server_address[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w", encoding="ascii") as f:
            f.write("%d\n" % port)
        os.rename(tmp, args.port_file)
    issuer.log({"event": "listening", "addr": args.addr, "port": port,
                "kid": issuer.kid, "pid": os.getpid()})
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
