#!/bin/sh
# test_http.sh - http.c against local HTTPS and HTTP servers.
#
# Makes a CA and server certificates with openssl(1), and starts a python3
# server on 127.0.0.1 and 127.0.0.2, on ports the kernel picks. Then
# tests/test_http fetches from it: bodies framed by length, chunks and
# close, a 50 MB body, redirects across hosts, bad certificates, timeouts,
# keep-alive and malformed responses. Prints one ok/not ok line per case,
# then "N passed, N failed".
#
# Runs itself in a new network namespace, so the servers are reachable
# only from this script.
#
# Usage: tests/test_http.sh [path/to/test_http]

prog=${1:-build/test_http}
passed=0
failed=0
n=0

if [ ! -x "$prog" ]; then
	echo "test_http.sh: '$prog' not found; build it first" >&2
	exit 1
fi
if [ -z "$TEST_HTTP_NETNS" ]; then
	[ "$(id -u)" -eq 0 ] && user= || user=--map-root-user
	TEST_HTTP_NETNS=1 exec unshare --net $user sh -c \
	    'ip link set lo up && exec sh "$0" "$1"' "$0" "$prog"
fi
prog=$(cd "$(dirname "$prog")" && pwd)/$(basename "$prog")
# The cases set these themselves; inherited values would change the CAs.
unset BOCKER_CA_FILE SSL_CERT_FILE SSL_CERT_DIR
tmp=$(mktemp -d) || exit 1
server=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

report() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		passed=$((passed + 1))
		echo "ok $n - $2"
	else
		failed=$((failed + 1))
		echo "not ok $n - $2"
	fi
}

# get NAME EXPECTED [ARGS...]: the body must equal EXPECTED.
get() {
	name=$1
	expected=$2
	shift 2
	out=$("$prog" "$@" 2>"$tmp/err")
	status=$?
	if [ $status -eq 0 ] && [ "$out" = "$expected" ]; then
		report 0 "$name"
	else
		printf '#   got: %s\n' "$out" "$(cat "$tmp/err")"
		report 1 "$name"
	fi
}

# reject NAME REASON [ARGS...]: test_http must fail, saying REASON.
reject() {
	name=$1
	reason=$2
	shift 2
	"$prog" "$@" >/dev/null 2>"$tmp/err"
	status=$?
	if [ $status -eq 1 ] && grep -q -- "$reason" "$tmp/err"; then
		report 0 "$name"
	else
		printf '#   exit %s: %s\n' "$status" "$(cat "$tmp/err")"
		report 1 "$name"
	fi
}

# ------------------------------------------------------------ certificates

cd "$tmp" || exit 1
cat >ca.cnf <<'EOF'
[ca]
default_ca = ca_section
[ca_section]
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = policy_any
copy_extensions = copy
[policy_any]
commonName = supplied
EOF
: >index.txt
echo 01 >serial
openssl_quiet() {
	openssl "$@" >>openssl.log 2>&1 || {
		echo "test_http.sh: openssl $1 failed:" >&2
		cat openssl.log >&2
		exit 1
	}
}
# make_ca NAME: a self-signed CA.
make_ca() {
	openssl_quiet req -x509 -newkey rsa:2048 -nodes -keyout "$1.key" \
	    -out "$1.pem" -days 2 -subj "/CN=$1" \
	    -addext basicConstraints=critical,CA:TRUE \
	    -addext keyUsage=critical,keyCertSign,cRLSign
}
# make_cert NAME SAN [CA-ARGS...]: a server certificate signed by ca.
make_cert() {
	name=$1
	san=$2
	shift 2
	openssl_quiet req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	    -nodes -keyout "$name.key" -out "$name.csr" -subj "/CN=$name" \
	    -addext "subjectAltName=$san"
	openssl_quiet ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key \
	    -in "$name.csr" -out "$name.pem" "$@"
}
make_ca ca
make_ca other
make_cert good "IP:127.0.0.1,IP:127.0.0.2,DNS:localhost" -days 2
make_cert wrong "DNS:wrong.example,IP:127.0.0.9" -days 2
make_cert expired "IP:127.0.0.1" -startdate 20200101000000Z \
    -enddate 20200201000000Z
openssl_quiet req -x509 -newkey rsa:2048 -nodes -keyout self.key \
    -out self.pem -days 2 -subj "/CN=self" \
    -addext "subjectAltName=IP:127.0.0.1"
cat good.pem ca.pem >good-chain.pem
cat wrong.pem ca.pem >wrong-chain.pem
cat expired.pem ca.pem >expired-chain.pem
head -c 52428800 /dev/urandom >big

# ---------------------------------------------------------------- server

cat >server.py <<'EOF'
import json, os, socket, ssl, sys, threading, time

BIG = open("big", "rb").read()
lock = threading.Lock()
connections = [0]
ports = {}

def tls(cert):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert + "-chain.pem" if cert != "self" else
                        "self.pem", cert + ".key")
    return ctx

def read_head(conn, buf):
    while b"\r\n\r\n" not in buf:
        data = conn.recv(65536)
        if not data:
            return None, b""
        buf += data
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ")
    fields = {}
    for line in lines[1:]:
        name, value = line.split(":", 1)
        fields[name.strip().lower()] = value.strip()
    return (method, target, fields), rest

def respond(conn, status, body=b"", extra=""):
    conn.sendall(("HTTP/1.1 %s\r\nContent-Length: %d\r\n%s\r\n"
                  % (status, len(body), extra)).encode() + body)

def redirect(conn, status, location):
    respond(conn, status, b"moved\n", "Location: %s\r\n" % location)

def close_tls(conn):
    # close_notify marks the end of a close-delimited body for the client.
    if isinstance(conn, ssl.SSLSocket):
        try:
            conn.unwrap()
        except (OSError, ValueError):
            pass

def handle(conn, request, number):
    method, target, fields = request
    path, _, query = target.partition("?")
    auth = "yes" if "authorization" in fields else "no"
    if path == "/len":
        respond(conn, "200 OK", b"hello, world\n")
    elif path == "/chunked":
        conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                     b"6;name=value\r\nhello \r\n8 ; a=\"b;c\"\r\nchunked \r\n"
                     b"6\r\nworld\n\r\n0\r\nX-Trailer: 1\r\nX-Other: two"
                     b"\r\n\r\n")
    elif path == "/close":
        conn.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n"
                     b"closed body\n")
        close_tls(conn)
        return False
    elif path == "/close-no-notify":
        conn.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n"
                     b"closed body\n")
        return False
    elif path == "/big":
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n"
                     % len(BIG))
        view = memoryview(BIG)
        for i in range(0, len(BIG), 1 << 20):
            conn.sendall(view[i:i + (1 << 20)])
    elif path == "/big-chunked":
        conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        view, i, size = memoryview(BIG), 0, 1
        while i < len(BIG):
            piece = view[i:i + size]
            conn.sendall(b"%x\r\n" % len(piece) + piece + b"\r\n")
            i += len(piece)
            size = size * 7 % 300007 + 1
        conn.sendall(b"0\r\n\r\n")
    elif path == "/echo":
        respond(conn, "200 OK", ("method=%s auth=%s %s\n"
                                 % (method, auth, query)).encode())
    elif path == "/chain1":
        redirect(conn, "302 Found", "chain2?h1=" + auth)
    elif path == "/chain2":
        redirect(conn, "301 Moved Permanently",
                 "https://127.0.0.2:%d/chain3?%s&h2=%s"
                 % (ports["B"], query, auth))
    elif path == "/chain3":
        redirect(conn, "307 Temporary Redirect",
                 "/echo?%s&h3=%s" % (query, auth))
    elif path == "/see-other":
        redirect(conn, "303 See Other", "/echo?from=303")
    elif path.startswith("/hops/"):
        left = int(path[6:])
        if left == 0:
            respond(conn, "200 OK", b"arrived\n")
        else:
            redirect(conn, "302 Found", "/hops/%d" % (left - 1))
    elif path == "/stall":
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"
                     + b"x" * 100)
        time.sleep(5)
        return False
    elif path == "/conn":
        respond(conn, "200 OK", b"conn=%d\n" % number)
    elif path == "/conn-close":
        respond(conn, "200 OK", b"conn=%d\n" % number,
                "Connection: close\r\n")
        return False
    elif path == "/conn-drop":
        respond(conn, "200 OK", b"conn=%d\n" % number)
        return False
    elif path.startswith("/bad/"):
        conn.sendall(BAD[path[5:]])
        close_tls(conn)
        return False
    else:
        respond(conn, "404 Not Found", b"no such path\n")
    return True

BAD = {
    "length-and-chunked": b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    "negative-length": b"HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\nhello",
    "obs-fold": b"HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\nContent-Length: 0\r\n\r\n",
    "chunk-size": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\nzz\r\n",
    "status-line": b"HTTP/1.1 2xx OK\r\nContent-Length: 0\r\n\r\n",
    "truncated": b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort",
    "chunked-truncated": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked"
        b"\r\n\r\n5\r\nhel",
    "huge-head": b"HTTP/1.1 200 OK\r\n" + b"X-Pad: " + b"p" * 70000
        + b"\r\n\r\n",
    "no-head": b"",
}

def serve(conn, context):
    with lock:
        connections[0] += 1
        number = connections[0]
    try:
        conn.settimeout(10)
        if context:
            conn = context.wrap_socket(conn, server_side=True)
        buf = b""
        while True:
            request, buf = read_head(conn, buf)
            if request is None or not handle(conn, request, number):
                break
    except (OSError, ValueError):
        pass
    finally:
        conn.close()

def listen(name, address, context):
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((address, 0))
    sock.listen(16)
    ports[name] = sock.getsockname()[1]
    def loop():
        while True:
            conn, _ = sock.accept()
            threading.Thread(target=serve, args=(conn, context),
                             daemon=True).start()
    threading.Thread(target=loop, daemon=True).start()

listen("A", "127.0.0.1", tls("good"))
listen("B", "127.0.0.2", tls("good"))
listen("P", "127.0.0.1", None)
listen("W", "127.0.0.1", tls("wrong"))
listen("E", "127.0.0.1", tls("expired"))
listen("S", "127.0.0.1", tls("self"))
with open("ports.tmp", "w") as f:
    f.write("".join("%s=%d\n" % item for item in ports.items()))
os.rename("ports.tmp", "ports")
while True:
    time.sleep(3600)
EOF
python3 server.py >server.log 2>&1 &
server=$!
for i in $(seq 100); do
	[ -f ports ] && break
	sleep 0.1
done
if [ ! -f ports ]; then
	echo "test_http.sh: server did not start:" >&2
	cat server.log >&2
	exit 1
fi
. ./ports
a=https://127.0.0.1:$A
b=https://127.0.0.2:$B
ca="--ca $tmp/ca.pem"

# ------------------------------------------------------------------ cases

get "content-length body" "hello, world" $ca "$a/len"
get "chunked body with trailers" "hello chunked world" $ca "$a/chunked"
get "close-delimited body" "closed body" $ca "$a/close"
get "plain http" "hello, world" "http://127.0.0.1:$P/len"
get "plain http chunked" "hello chunked world" "http://127.0.0.1:$P/chunked"
get "plain http close-delimited" "closed body" \
    "http://127.0.0.1:$P/close-no-notify"
get "second address" "hello, world" $ca "$b/len"
export BOCKER_CA_FILE="$tmp/ca.pem"
get "CA from BOCKER_CA_FILE" "hello, world" "$a/len"
unset BOCKER_CA_FILE
export SSL_CERT_FILE="$tmp/ca.pem"
get "CA from SSL_CERT_FILE" "hello, world" "$a/len"
unset SSL_CERT_FILE
mkdir certdir && cp ca.pem certdir/ca.crt && cp other.pem certdir/other.pem
export SSL_CERT_DIR="$tmp/none:$tmp/certdir"
get "CA from SSL_CERT_DIR" "hello, world" "$a/len"
unset SSL_CERT_DIR
get "pinned self-signed" "hello, world" --ca "$tmp/self.pem" \
    "https://127.0.0.1:$S/len"
if grep -q '^127\.0\.0\.1[[:space:]].*localhost' /etc/hosts; then
	get "host name from /etc/hosts" "hello, world" $ca \
	    "https://localhost:$A/len"
	reject "host name mismatch" "server name mismatch" $ca \
	    "https://localhost:$W/len"
else
	echo "skip - /etc/hosts has no localhost"
fi

for path in big big-chunked; do
	/usr/bin/time -f %M -o "$tmp/rss" "$prog" $ca "$a/$path" \
	    >"$tmp/got" 2>"$tmp/err"
	status=$?
	[ $status -eq 0 ] && cmp -s big got
	report $? "$path body 50 MB sha256"
	"$prog" $ca "$a/len" >/dev/null 2>&1
	/usr/bin/time -f %M -o "$tmp/rss0" "$prog" $ca "$a/len" >/dev/null
	grow=$(($(tail -n 1 "$tmp/rss") - $(tail -n 1 "$tmp/rss0")))
	[ $status -eq 0 ] && [ "$grow" -lt 8192 ]
	report $? "$path body peak RSS grows ${grow} kB"
done
[ "$(sha256sum <got)" = "$(sha256sum <big)" ]
report $? "big body sha256 matches"

get "redirect chain across hosts" \
    "method=GET auth=no h1=yes&h2=yes&h3=no" \
    $ca -H "Authorization: Bearer secret" "$a/chain1"
get "redirect without Authorization" \
    "method=GET auth=no h1=no&h2=no&h3=no" $ca -H "X-A: 1" "$a/chain1"
get "303 turns POST into GET" "method=GET auth=no from=303" \
    $ca -X POST "$a/see-other"
get "ten redirects followed" "arrived" $ca "$a/hops/10"
reject "eleven redirects rejected" "too many redirects" $ca "$a/hops/11"
reject "redirect loop rejected" "too many redirects" $ca "$a/hops/1000"

reject "unknown CA rejected" "certificate not trusted" \
    --ca "$tmp/other.pem" "$a/len"
reject "self-signed rejected" "certificate not trusted" $ca \
    "https://127.0.0.1:$S/len"
reject "wrong name rejected" "server name mismatch" $ca \
    "https://127.0.0.1:$W/len"
reject "expired rejected" "certificate expired" $ca \
    "https://127.0.0.1:$E/len"
reject "https to plain server" "TLS" $ca "https://127.0.0.1:$P/len"
reject "missing CA file" "load CA file" --ca "$tmp/none.pem" "$a/len"
reject "CA file without certificates" "no certificate found" \
    --ca "$tmp/ca.cnf" "$a/len"
reject "connection refused" "Connection refused" $ca \
    "https://127.0.0.1:1/len"

start=$(date +%s)
reject "stall timeout" "timed out" $ca --timeout 1000 "$a/stall"
[ $(($(date +%s) - start)) -lt 4 ]
report $? "stall timeout within 4 s"

out=$("$prog" $ca --repeat 3 "$a/conn" | sort -u | wc -l)
[ "$out" -eq 1 ]
report $? "keep-alive reuses connection"
out=$("$prog" $ca --repeat 3 "$a/conn-close" | sort -u | wc -l)
[ "$out" -eq 3 ]
report $? "Connection: close not reused"
out=$("$prog" $ca --repeat 3 "$a/conn-drop" | sort -u | wc -l)
[ "$out" -eq 3 ]
report $? "closed idle connection replaced"
out=$("$prog" --repeat 2 "http://127.0.0.1:$P/conn" | sort -u | wc -l)
[ "$out" -eq 1 ]
report $? "plain keep-alive reuses connection"

reject "close without close_notify" "close_notify" $ca \
    "$a/close-no-notify"
reject "length and chunked" "both Transfer-Encoding and Content-Length" \
    $ca "$a/bad/length-and-chunked"
reject "negative length" "invalid Content-Length" $ca \
    "$a/bad/negative-length"
reject "obs-fold" "obsolete line folding" $ca "$a/bad/obs-fold"
reject "bad chunk size" "invalid chunk size" $ca "$a/bad/chunk-size"
reject "bad status line" "malformed status line" $ca "$a/bad/status-line"
reject "truncated body" "body bytes missing" $ca "$a/bad/truncated"
reject "truncated chunked body" "closed in chunked body" $ca \
    "$a/bad/chunked-truncated"
reject "header block too large" "response head too large" $ca \
    "$a/bad/huge-head"
reject "no response" "closed before response" $ca "$a/bad/no-head"
reject "plain obs-fold" "obsolete line folding" \
    "http://127.0.0.1:$P/bad/obs-fold"
reject "unsupported scheme" "invalid URL" "ftp://127.0.0.1/x"
reject "userinfo in URL" "invalid URL" "http://u@127.0.0.1:$P/len"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
