#!/bin/bash
# shellcheck shell=bash
# registry.sh - local Docker Registry v2 instances over HTTPS for the pull
# tests: Debian's docker-registry (distribution 2.8) with certificates made
# here by openssl, and tests/token_server.py as the token issuer.
#
# As a library (source it; every function works under set -u):
#   reg_start WORK    certificates, token server and five registries, all
#                     state in WORK/registry; exports the REG_* variables
#   reg_stop WORK     stop by PID what reg_start started; put it in the
#                     caller's EXIT trap
#   reg_exec CMD...   run CMD in the registries' network namespace
# As a command:
#   tests/registry.sh install            apt-get install REGISTRY_PACKAGES
#   tests/registry.sh start DIR          start everything, write
#                                        DIR/registry/env
#   tests/registry.sh stop DIR           stop it again
#   tests/registry.sh selftest [DEBIAN_TREE]
#                                        start, push every image of
#                                        tests/mkimages.sh, check them with
#                                        curl, stop; prints "N passed, N failed"
#
# Network namespace: the servers listen on 127.0.0.1 of a network namespace,
# never the root one. reg_start uses $REG_NETNS_PATH if set, else the test's
# $NETNS_PATH (from netns_create in tests/lib.sh), else it creates one named
# bocker-reg-PID and reg_stop deletes it. Clients must run in the same
# namespace: `nsenter --net=$REG_NETNS_PATH CMD`, or reg_exec.
#
# Variables exported by reg_start (also written to WORK/registry/env):
#   REG_ANON      HOST:PORT, no authentication
#   REG_TOKEN     HOST:PORT, bearer tokens from the token server: anonymous
#                 clients may pull every repository but "private"
#   REG_BASIC     HOST:PORT, HTTP Basic authentication (htpasswd -B)
#   REG_BADNAME   HOST:PORT, REG_ANON's storage, read-only, with a
#                 certificate from REG_CA whose only name is IP:127.0.0.9
#   REG_BADCA     HOST:PORT, the same with a certificate for 127.0.0.1 from
#                 another CA (REG_OTHER_CA)
#   REG_CA        PEM file of the CA behind every other certificate
#   REG_OTHER_CA  PEM file of the CA behind REG_BADCA's certificate
#   REG_CERT_DIR  REG_CA as ca.crt, for skopeo --cert-dir and friends
#   REG_USER, REG_PASS  the account of REG_BASIC and of the token server
#   REG_TOKEN_REALM     https://127.0.0.1:PORT/token
#   REG_TOKEN_SERVICE   the service name the token registry announces
#   REG_TOKEN_LOG       the token server's request log, one JSON object a
#                       line: "user", "auth" (none, basic...), "scope",
#                       "granted", "status"
#   REG_NETNS_PATH      the network namespace, REG_DIR the state directory

# Debian packages these scripts use, for test.sh to install.
REGISTRY_PACKAGES="docker-registry skopeo openssl python3 apache2-utils
	busybox-static debootstrap curl iproute2 util-linux tar"

REG_TOKEN_SERVICE=bocker-test-registry
REG_TOKEN_ISSUER=bocker-test-token-issuer
REG_USER=bocker
REG_PASS=pull-secret-42
REG_WAIT_TENTHS=200

REG_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

REG_MANIFEST_ACCEPT="application/vnd.oci.image.index.v1+json,\
application/vnd.docker.distribution.manifest.list.v2+json,\
application/vnd.docker.distribution.manifest.v2+json,\
application/vnd.oci.image.manifest.v1+json"

reg_log()
{
	echo "registry: $*" >&2
}

# ----------------------------------------------------------------- packages

# Install the missing REGISTRY_PACKAGES. Installing docker-registry enables
# its systemd unit (a registry on :5000 with /etc/docker/registry); where
# systemd runs and started it, that unit is stopped and disabled, because
# the tests start their own instances with their own configuration.
reg_install_packages()
{
	local pkg missing=

	for pkg in $REGISTRY_PACKAGES; do
		dpkg-query -W -f '${Status}\n' "$pkg" 2> /dev/null |
			grep -q 'install ok installed' ||
			missing="$missing $pkg"
	done
	if [ -n "$missing" ]; then
		reg_log "installing:$missing"
		# shellcheck disable=SC2086 # one package a word
		DEBIAN_FRONTEND=noninteractive apt-get install -y $missing ||
			{ apt-get update && DEBIAN_FRONTEND=noninteractive \
				apt-get install -y $missing; } || return 1
	fi
	if [ -d /run/systemd/system ] &&
		systemctl is-active --quiet docker-registry.service; then
		reg_log "stopping and disabling docker-registry.service"
		systemctl disable --now docker-registry.service
	fi
	return 0
}

# ------------------------------------------------------------- certificates

# reg_ca NAME SUBJECT: a self-signed CA, NAME.pem and NAME.key.
reg_ca()
{
	openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 \
		-subj "/CN=$2" -keyout "$1.key" -out "$1.pem" \
		-addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=critical,keyCertSign,cRLSign 2> /dev/null
}

# reg_server_cert NAME CA SAN: a TLS server certificate NAME.pem with key
# NAME.key, signed by CA (CA.pem, CA.key), for the subjectAltName SAN.
reg_server_cert()
{
	local name=$1 ca=$2 san=$3

	openssl req -new -newkey rsa:2048 -nodes \
		-subj "/CN=bocker test server" -keyout "$name.key" \
		-out "$name.csr" 2> /dev/null || return 1
	printf '%s\n' "subjectAltName=$san" basicConstraints=critical,CA:FALSE \
		keyUsage=critical,digitalSignature,keyEncipherment \
		extendedKeyUsage=serverAuth subjectKeyIdentifier=hash \
		authorityKeyIdentifier=keyid > "$name.ext"
	openssl x509 -req -sha256 -days 825 -in "$name.csr" -CA "$ca.pem" \
		-CAkey "$ca.key" -set_serial "0x$(openssl rand -hex 8)" \
		-extfile "$name.ext" -out "$name.pem" 2> /dev/null
	rm -f "$name.csr" "$name.ext"
}

# reg_make_certs DIR: every key and certificate the servers need.
#   ca            the test CA (REG_CA)
#   server        from ca, IP:127.0.0.1 and DNS:localhost
#   badname       from ca, IP:127.0.0.9 only
#   other-ca      a second CA, unknown to the clients
#   badca         from other-ca, IP:127.0.0.1 and DNS:localhost
#   token-signer  self-signed RSA certificate of the token signing key: the
#                 registry's rootcertbundle
reg_make_certs()
{
	local dir=$1

	mkdir -p "$dir" || return 1
	(
		cd "$dir" || exit 1
		reg_ca ca "bocker test CA" &&
			reg_server_cert server ca \
				"IP:127.0.0.1,DNS:localhost" &&
			reg_server_cert badname ca "IP:127.0.0.9" &&
			reg_ca other-ca "bocker other test CA" &&
			reg_server_cert badca other-ca \
				"IP:127.0.0.1,DNS:localhost" &&
			openssl req -x509 -newkey rsa:2048 -nodes -sha256 \
				-days 3650 \
				-subj "/CN=bocker test token signer" \
				-keyout token-signer.key -out token-signer.pem \
				2> /dev/null || exit 1
		mkdir -p certs.d && cp ca.pem certs.d/ca.crt
	)
}

# ---------------------------------------------------------------- processes

reg_exec()
{
	nsenter --net="$REG_NETNS_PATH" "$@"
}

# reg_curl ARGS...: curl in the namespace, trusting REG_CA, bounded in time.
reg_curl()
{
	reg_exec curl -sS --max-time 30 --cacert "$REG_CA" "$@"
}

# reg_free_ports N: N distinct free TCP ports on 127.0.0.1 in the namespace.
# All N sockets stay bound until every port is chosen, so none repeats.
reg_free_ports()
{
	reg_exec python3 -c '
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))' "$1"
}

# reg_spawn KIND NAME LOG CMD...: start CMD in the namespace in the
# background and record "PID KIND NAME" in $REG_DIR/pids. nsenter execs
# CMD, so $! is the server's own PID.
reg_spawn()
{
	local kind=$1 name=$2 log=$3

	shift 3
	nsenter --net="$REG_NETNS_PATH" "$@" < /dev/null > "$log" 2>&1 &
	echo "$! $kind $name" >> "$REG_DIR/pids"
	REG_LAST_PID=$!
}

# reg_alive PID: the process exists and is no zombie.
reg_alive()
{
	local state

	# The state follows the command name, which is in parentheses and
	# may contain spaces.
	state=$(sed 's/.*) //' "/proc/$1/stat" 2> /dev/null | cut -d' ' -f1) ||
		return 1
	[ -n "$state" ] && [ "$state" != Z ]
}

# reg_wait_http NAME PID LOG URL CURL_ARGS...: poll URL until it returns
# 200 or 401, for at most REG_WAIT_TENTHS tenths of a second.
reg_wait_http()
{
	local name=$1 pid=$2 log=$3 url=$4 code tenths=$REG_WAIT_TENTHS

	shift 4
	while [ "$tenths" -gt 0 ]; do
		if ! reg_alive "$pid"; then
			reg_log "$name (PID $pid) exited; end of $log:"
			tail -n 15 "$log" >&2
			return 1
		fi
		code=$(reg_exec curl -s -o /dev/null -w '%{http_code}' \
			--max-time 2 "$@" "$url")
		case $code in
		200 | 401) return 0 ;;
		esac
		sleep 0.1
		tenths=$((tenths - 1))
	done
	reg_log "$name did not answer on $url within" \
		"$((REG_WAIT_TENTHS / 10)) s (last status '$code');" \
		"end of $log:"
	tail -n 15 "$log" >&2
	return 1
}

# reg_config NAME PORT CERT STORAGE READONLY AUTH: write NAME.yml for
# docker-registry serve. AUTH is the YAML of the auth section, or empty.
# READONLY=1 makes a second instance on another instance's storage that
# neither writes nor purges uploads.
reg_config()
{
	local name=$1 port=$2 cert=$3 storage=$4 readonly=$5 auth=$6
	local conf=$REG_DIR/$name.yml

	{
		cat <<- EOF
		version: 0.1
		log:
		  level: info
		  fields:
		    instance: $name
		storage:
		  filesystem:
		    rootdirectory: $storage
		  delete:
		    enabled: true
		EOF
		if [ "$readonly" = 1 ]; then
			cat <<- EOF
			  maintenance:
			    uploadpurging:
			      enabled: false
			    readonly:
			      enabled: true
			EOF
		fi
		cat <<- EOF
		http:
		  addr: 127.0.0.1:$port
		  secret: bocker-test-$name
		  tls:
		    certificate: $REG_DIR/certs/$cert.pem
		    key: $REG_DIR/certs/$cert.key
		  headers:
		    X-Content-Type-Options: [nosniff]
		health:
		  storagedriver:
		    enabled: false
		EOF
		if [ -n "$auth" ]; then
			echo "auth:"
			printf '%s\n' "$auth"
		fi
	} > "$conf"
	echo "$conf"
}

# reg_start_token_server: start token_server.py; sets REG_TOKEN_REALM.
reg_start_token_server()
{
	local log=$REG_DIR/logs/token-server.stderr port tenths=$REG_WAIT_TENTHS

	REG_TOKEN_LOG=$REG_DIR/logs/token-server.log
	: > "$REG_TOKEN_LOG"
	rm -f "$REG_DIR/token.port"
	reg_spawn token token_server "$log" \
		python3 "$REG_HERE/token_server.py" \
		--port 0 --port-file "$REG_DIR/token.port" \
		--tls-cert "$REG_DIR/certs/server.pem" \
		--tls-key "$REG_DIR/certs/server.key" \
		--sign-key "$REG_DIR/certs/token-signer.key" \
		--sign-cert "$REG_DIR/certs/token-signer.pem" \
		--issuer "$REG_TOKEN_ISSUER" --service "$REG_TOKEN_SERVICE" \
		--users "$REG_DIR/users" --private private \
		--log "$REG_TOKEN_LOG"
	while [ ! -s "$REG_DIR/token.port" ] && [ "$tenths" -gt 0 ] &&
		reg_alive "$REG_LAST_PID"; do
		sleep 0.1
		tenths=$((tenths - 1))
	done
	port=$(cat "$REG_DIR/token.port" 2> /dev/null)
	if [ -z "$port" ]; then
		reg_log "token server did not start; end of $log:"
		tail -n 15 "$log" >&2
		return 1
	fi
	REG_TOKEN_REALM=https://127.0.0.1:$port/token
	reg_wait_http token_server "$REG_LAST_PID" "$log" \
		"$REG_TOKEN_REALM?service=$REG_TOKEN_SERVICE" --cacert "$REG_CA"
}

# reg_start_registry NAME PORT CERT STORAGE READONLY AUTH: start one
# docker-registry, logging to logs/NAME.log.
reg_start_registry()
{
	local name=$1 conf

	conf=$(reg_config "$@") || return 1
	mkdir -p "$4" || return 1
	reg_spawn registry "$name" "$REG_DIR/logs/$name.log" \
		docker-registry serve "$conf"
}

# reg_wait_registry NAME URL CURL_ARGS...: reg_wait_http for the registry
# reg_start_registry started as NAME.
reg_wait_registry()
{
	local name=$1 pid

	shift
	pid=$(awk -v name="$name" '
		$2 == "registry" && $3 == name { print $1 }' "$REG_DIR/pids")
	reg_wait_http "$name" "$pid" "$REG_DIR/logs/$name.log" "$@"
}

reg_write_env()
{
	local var

	for var in REG_ANON REG_TOKEN REG_BASIC REG_BADNAME REG_BADCA REG_CA \
		REG_OTHER_CA REG_CERT_DIR REG_USER REG_PASS REG_TOKEN_REALM \
		REG_TOKEN_SERVICE REG_TOKEN_LOG REG_NETNS_PATH REG_DIR; do
		printf 'export %s=%q\n' "$var" "${!var}"
	done > "$REG_DIR/env"
}

# reg_start WORK: see the top of this file.
reg_start()
{
	local work=$1 token_auth basic_auth storage
	local -a ports

	REG_DIR=$(realpath -m "$work")/registry
	if [ -e "$REG_DIR/pids" ]; then
		reg_log "$REG_DIR/pids exists: run reg_stop $work first"
		return 1
	fi
	mkdir -p "$REG_DIR/logs" "$REG_DIR/storage" || return 1
	: > "$REG_DIR/pids"
	if [ -z "${REG_NETNS_PATH:-}" ]; then
		if [ -n "${NETNS_PATH:-}" ]; then
			REG_NETNS_PATH=$NETNS_PATH
		else
			ip netns add "bocker-reg-$$" || return 1
			echo "bocker-reg-$$" > "$REG_DIR/netns"
			REG_NETNS_PATH=/run/netns/bocker-reg-$$
		fi
	fi
	reg_exec ip link set lo up || return 1

	reg_make_certs "$REG_DIR/certs" || {
		reg_log "openssl failed to make the certificates"
		return 1
	}
	REG_CA=$REG_DIR/certs/ca.pem
	REG_OTHER_CA=$REG_DIR/certs/other-ca.pem
	REG_CERT_DIR=$REG_DIR/certs/certs.d
	echo "$REG_USER:$REG_PASS" > "$REG_DIR/users"
	htpasswd -Bbc "$REG_DIR/htpasswd" "$REG_USER" "$REG_PASS" \
		2> /dev/null || return 1

	reg_start_token_server || return 1
	read -r -a ports <<< "$(reg_free_ports 5)"
	[ ${#ports[@]} = 5 ] || return 1
	REG_ANON=127.0.0.1:${ports[0]}
	REG_TOKEN=127.0.0.1:${ports[1]}
	REG_BASIC=127.0.0.1:${ports[2]}
	REG_BADNAME=127.0.0.1:${ports[3]}
	REG_BADCA=127.0.0.1:${ports[4]}
	token_auth="  token:
    realm: $REG_TOKEN_REALM
    service: $REG_TOKEN_SERVICE
    issuer: $REG_TOKEN_ISSUER
    rootcertbundle: $REG_DIR/certs/token-signer.pem"
	basic_auth="  htpasswd:
    realm: bocker-basic
    path: $REG_DIR/htpasswd"
	storage=$REG_DIR/storage
	reg_start_registry anon "${ports[0]}" server "$storage/anon" 0 "" &&
		reg_start_registry token "${ports[1]}" server \
			"$storage/token" 0 "$token_auth" &&
		reg_start_registry basic "${ports[2]}" server \
			"$storage/basic" 0 "$basic_auth" &&
		reg_start_registry badname "${ports[3]}" badname \
			"$storage/anon" 1 "" &&
		reg_start_registry badca "${ports[4]}" badca \
			"$storage/anon" 1 "" || return 1

	reg_wait_registry anon "https://$REG_ANON/v2/" --cacert "$REG_CA" &&
		reg_wait_registry token "https://$REG_TOKEN/v2/" \
			--cacert "$REG_CA" &&
		reg_wait_registry basic "https://$REG_BASIC/v2/" \
			--cacert "$REG_CA" &&
		reg_wait_registry badname "https://127.0.0.9:${ports[3]}/v2/" \
			--cacert "$REG_CA" \
			--connect-to "127.0.0.9:${ports[3]}:$REG_BADNAME" &&
		reg_wait_registry badca "https://$REG_BADCA/v2/" \
			--cacert "$REG_OTHER_CA" || return 1
	export REG_ANON REG_TOKEN REG_BASIC REG_BADNAME REG_BADCA REG_CA \
		REG_OTHER_CA REG_CERT_DIR REG_USER REG_PASS REG_TOKEN_REALM \
		REG_TOKEN_SERVICE REG_TOKEN_LOG REG_NETNS_PATH REG_DIR
	reg_write_env
}

# reg_stop WORK: SIGTERM each process listed in WORK/registry/pids, SIGKILL
# it after 5 s, then delete the namespace if reg_start created it. A PID
# whose command line is no longer the server's is left alone: in the CLI's
# stop, the PID may have been reused since. Reports, never stops, on error.
reg_stop()
{
	local dir pid kind name tenths status=0

	dir=$(realpath -m "$1")/registry
	[ -f "$dir/pids" ] || return 0
	while read -r pid kind name; do
		reg_owned "$pid" "$kind" "$dir" || continue
		kill -TERM "$pid" 2> /dev/null
	done < "$dir/pids"
	while read -r pid kind name; do
		tenths=50
		while reg_alive "$pid" && reg_owned "$pid" "$kind" "$dir" &&
			[ "$tenths" -gt 0 ]; do
			sleep 0.1
			tenths=$((tenths - 1))
		done
		if reg_alive "$pid" && reg_owned "$pid" "$kind" "$dir"; then
			reg_log "$name (PID $pid) ignored SIGTERM; SIGKILL"
			kill -KILL "$pid" 2> /dev/null
		fi
		# Reap it if it is this shell's child; harmless otherwise.
		wait "$pid" 2> /dev/null
	done < "$dir/pids"
	rm -f "$dir/pids"
	if [ -f "$dir/netns" ]; then
		ip netns del "$(cat "$dir/netns")" || {
			reg_log "ip netns del $(cat "$dir/netns") failed"
			status=1
		}
		rm -f "$dir/netns"
		unset REG_NETNS_PATH
	fi
	return $status
}

# reg_owned PID KIND DIR: PID still runs the server of KIND that reg_spawn
# started for the state directory DIR (a zombie has an empty command line
# and counts as gone).
reg_owned()
{
	local cmdline

	cmdline=$(tr '\0' ' ' < "/proc/$1/cmdline" 2> /dev/null) || return 1
	case $2 in
	registry) [[ $cmdline == "docker-registry serve $3/"* ]] ;;
	token) [[ $cmdline == *token_server.py*"$3/"* ]] ;;
	*) return 1 ;;
	esac
}

# --------------------------------------------------------- client helpers

# reg_header NAME < HEADERS: the value of header NAME in curl -D output,
# from the last response.
reg_header()
{
	tr -d '\r' | awk -v name="$1" '
		BEGIN { name = tolower(name) }
		/^HTTP\// { value = "" }
		{
			i = index($0, ":")
			if (i && tolower(substr($0, 1, i - 1)) == name) {
				value = substr($0, i + 1)
				sub(/^[ \t]+/, "", value)
			}
		}
		END { print value }'
}

# reg_auth_param CHALLENGE NAME: a quoted parameter of a WWW-Authenticate
# value, e.g. realm from 'Bearer realm="...",service="..."'.
reg_auth_param()
{
	printf '%s\n' "$1" | sed -n "s/.*[ ,]$2=\"\\([^\"]*\\)\".*/\\1/p"
}

# reg_token CHALLENGE [USER:PASS]: fetch a bearer token for a Bearer
# challenge and print it.
reg_token()
{
	local challenge=$1 creds=${2:-} realm service scope
	local -a opts=()

	realm=$(reg_auth_param "$challenge" realm)
	service=$(reg_auth_param "$challenge" service)
	scope=$(reg_auth_param "$challenge" scope)
	[ -n "$realm" ] || return 1
	[ -n "$creds" ] && opts=(-u "$creds")
	[ -n "$scope" ] && opts+=(--data-urlencode "scope=$scope")
	reg_curl -f -G "${opts[@]}" --data-urlencode "service=$service" \
		"$realm" | python3 -c '
import json, sys
print(json.load(sys.stdin)["token"])'
}

# reg_api REGISTRY PATH [USER:PASS] BODY HEADERS [CURL_ARGS...]: GET
# https://REGISTRY/v2/PATH as a client does: on 401, authenticate as the
# WWW-Authenticate challenge requests (Bearer via the realm, or Basic), with
# USER:PASS if given, and try again. Prints the final HTTP status.
reg_api()
{
	local reg=$1 path=$2 creds=$3 body=$4 headers=$5 code challenge token
	local url=https://$1/v2/$2

	shift 5
	code=$(reg_curl -o "$body" -D "$headers" -w '%{http_code}' "$@" \
		"$url") || return 1
	if [ "$code" = 401 ]; then
		challenge=$(reg_header WWW-Authenticate < "$headers")
		case $challenge in
		Bearer*)
			token=$(reg_token "$challenge" "$creds") || return 1
			code=$(reg_curl -o "$body" -D "$headers" \
				-w '%{http_code}' \
				-H "Authorization: Bearer $token" "$@" \
				"$url") || return 1
			;;
		Basic*)
			[ -n "$creds" ] || {
				echo 401
				return 0
			}
			code=$(reg_curl -o "$body" -D "$headers" \
				-w '%{http_code}' -u "$creds" "$@" "$url") ||
				return 1
			;;
		esac
	fi
	echo "$code"
}

# reg_get_manifest REGISTRY NAME REF USER:PASS BODY HEADERS: GET a
# manifest, accepting every manifest and index media type; fails unless 200.
reg_get_manifest()
{
	local code

	code=$(reg_api "$1" "$2/manifests/$3" "$4" "$5" "$6" \
		-H "Accept: $REG_MANIFEST_ACCEPT") || return 1
	[ "$code" = 200 ]
}

# --------------------------------------------------------------- selftest

SELF_PASSED=0
SELF_FAILED=0

self_check()
{
	local name=$1

	shift
	if "$@"; then
		echo "ok - $name"
		SELF_PASSED=$((SELF_PASSED + 1))
	else
		echo "not ok - $name"
		SELF_FAILED=$((SELF_FAILED + 1))
	fi
}

# self_status EXPECTED ARGS...: curl ARGS (in the namespace) gets HTTP
# status EXPECTED.
self_status()
{
	local want=$1 code

	shift
	code=$(reg_exec curl -s -o /dev/null -w '%{http_code}' --max-time 30 \
		"$@")
	[ "$code" = "$want" ] || {
		echo "#   expected HTTP $want, got '$code' from curl $*"
		return 1
	}
}

# self_curl_fails EXIT ARGS...: curl ARGS exits with status EXIT (60 is
# "peer certificate cannot be authenticated").
self_curl_fails()
{
	local want=$1 rc

	shift
	reg_exec curl -s -o /dev/null --max-time 30 "$@"
	rc=$?
	[ "$rc" = "$want" ] || {
		echo "#   expected curl exit $want, got $rc from curl $*"
		return 1
	}
}

self_json()
{
	python3 -c "import json, sys; d = json.load(open(sys.argv[1])); $1" \
		"$2"
}

self_token_flow()
{
	local t=$REG_DIR/self h code challenge token

	h=$t/h
	code=$(reg_curl -o "$t/body" -D "$h" -w '%{http_code}' \
		-H "Accept: $REG_MANIFEST_ACCEPT" \
		"https://$REG_TOKEN/v2/busybox/manifests/latest")
	[ "$code" = 401 ] || {
		echo "#   anonymous GET gave $code, expected 401"
		return 1
	}
	challenge=$(reg_header WWW-Authenticate < "$h")
	echo "#   token registry manifest challenge: $challenge"
	if [ "$(reg_auth_param "$challenge" realm)" != "$REG_TOKEN_REALM" ] ||
		[ "$(reg_auth_param "$challenge" service)" != \
			"$REG_TOKEN_SERVICE" ] ||
		[ "$(reg_auth_param "$challenge" scope)" != \
			repository:busybox:pull ]; then
		echo "#   unexpected challenge"
		return 1
	fi
	reg_curl -f -G --data-urlencode "service=$REG_TOKEN_SERVICE" \
		--data-urlencode scope=repository:busybox:pull \
		-o "$t/token.json" "$REG_TOKEN_REALM" || return 1
	self_json 'assert d["token"] == d["access_token"]
assert d["expires_in"] == 300' "$t/token.json" || return 1
	token=$(self_json 'print(d["token"])' "$t/token.json")
	python3 - "$token" << 'PY' || return 1
import base64, json, sys
parts = sys.argv[1].split(".")
def dec(s):
    return json.loads(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)))
header, claims = dec(parts[0]), dec(parts[1])
print("#   JWT header:", json.dumps(header))
print("#   JWT claims:", json.dumps(claims))
assert header["alg"] == "RS256"
assert len(header["kid"].split(":")) == 12
assert claims["access"] == [{"type": "repository", "name": "busybox",
                             "actions": ["pull"]}]
for k in ("iss", "sub", "aud", "exp", "nbf", "iat", "jti"):
    assert k in claims, k
PY
	code=$(reg_curl -o "$t/body" -D "$h" -w '%{http_code}' \
		-H "Accept: $REG_MANIFEST_ACCEPT" \
		-H "Authorization: Bearer $token" \
		"https://$REG_TOKEN/v2/busybox/manifests/latest")
	[ "$code" = 200 ] || {
		echo "#   GET with the token gave $code, expected 200"
		return 1
	}
}

self_private()
{
	local t=$REG_DIR/self code

	code=$(reg_api "$REG_TOKEN" private/manifests/latest "" "$t/body" \
		"$t/h" -H "Accept: $REG_MANIFEST_ACCEPT")
	[ "$code" = 401 ] || {
		echo "#   anonymous pull of private gave $code, expected 401"
		return 1
	}
	echo "#   private, anonymous token, then: $(reg_header \
		WWW-Authenticate < "$t/h")"
	code=$(reg_api "$REG_TOKEN" private/manifests/latest \
		"$REG_USER:$REG_PASS" "$t/body" "$t/h" \
		-H "Accept: $REG_MANIFEST_ACCEPT")
	[ "$code" = 200 ] || {
		echo "#   pull of private with credentials gave $code"
		return 1
	}
	grep -q "\"user\": \"$REG_USER\"" "$REG_TOKEN_LOG" || {
		echo "#   token log has no request from $REG_USER"
		return 1
	}
	self_status 401 --cacert "$REG_CA" -G -u "$REG_USER:wrong" \
		--data-urlencode "service=$REG_TOKEN_SERVICE" \
		--data-urlencode scope=repository:private:pull \
		"$REG_TOKEN_REALM"
}

self_basic_flow()
{
	local t=$REG_DIR/self code challenge

	code=$(reg_curl -o /dev/null -D "$t/h" -w '%{http_code}' \
		"https://$REG_BASIC/v2/")
	challenge=$(reg_header WWW-Authenticate < "$t/h")
	echo "#   Basic registry challenge: $challenge"
	[ "$code" = 401 ] && [[ $challenge == Basic\ realm=* ]] || return 1
	self_status 200 --cacert "$REG_CA" -u "$REG_USER:$REG_PASS" \
		-H "Accept: $REG_MANIFEST_ACCEPT" \
		"https://$REG_BASIC/v2/busybox/manifests/latest" &&
		self_status 401 --cacert "$REG_CA" -u "$REG_USER:wrong" \
			"https://$REG_BASIC/v2/busybox/manifests/latest"
}

self_catalog()
{
	local t=$REG_DIR/self name

	reg_curl -f -o "$t/catalog" "https://$REG_ANON/v2/_catalog" ||
		return 1
	echo "#   catalog: $(cat "$t/catalog")"
	for name in busybox layers oci multi plain ${IMG_HAVE_DEBIAN:+debian}
	do
		self_json "assert '$name' in d['repositories']" "$t/catalog" ||
			return 1
		reg_curl -f -o "$t/tags" \
			"https://$REG_ANON/v2/$name/tags/list" ||
			return 1
		echo "#   tags of $name: $(cat "$t/tags")"
	done
}

# self_media NAME REF EXPECTED: the manifest's Content-Type; prints the
# media types inside.
self_media()
{
	local t=$REG_DIR/self type

	reg_get_manifest "$REG_ANON" "$1" "$2" "" "$t/m" "$t/h" || return 1
	type=$(reg_header Content-Type < "$t/h")
	echo "#   $1:$2 $type"
	self_json '
for m in d.get("manifests", []):
    print("#     manifest", m["mediaType"], json.dumps(m.get("platform")))
if "config" in d:
    print("#     config", d["config"]["mediaType"])
for l in d.get("layers", []):
    print("#     layer", l["mediaType"], l["size"])' "$t/m"
	[ "$type" = "$3" ]
}

# The busybox layer, downloaded by digest, has the digest it is named by
# and the expected entries.
self_blob()
{
	local t=$REG_DIR/self digest got

	reg_get_manifest "$REG_ANON" busybox latest "" "$t/m" "$t/h" ||
		return 1
	digest=$(self_json 'print(d["layers"][0]["digest"])' "$t/m")
	reg_curl -f -L -o "$t/blob" \
		"https://$REG_ANON/v2/busybox/blobs/$digest" ||
		return 1
	got=sha256:$(sha256sum < "$t/blob" | cut -d' ' -f1)
	echo "#   blob $digest: $(stat -c %s "$t/blob") bytes, sha256 $got"
	[ "$got" = "$digest" ] || return 1
	python3 - "$t/blob" << 'PY'
import sys, tarfile
t = tarfile.open(sys.argv[1])
m = {i.name: i for i in t.getmembers()}
assert m["bin/busybox"].isreg(), "bin/busybox is not a regular file"
assert m["bin/sh"].issym()
assert m["bin/sh"].linkname == "/bin/busybox"
assert m["srv"].isdir()
assert m["etc/passwd"].isreg()
assert all(i.mtime == 1700000000 for i in t.getmembers())
PY
}

# The busybox layer, unpacked, runs its Cmd under chroot with the Env, Cmd
# and WorkingDir of its image configuration, applied here by hand.
self_busybox_runs()
{
	local t=$REG_DIR/self root=$REG_DIR/self/rootfs out

	reg_get_manifest "$REG_ANON" busybox latest "" "$t/m" "$t/h" ||
		return 1
	reg_curl -f -L -o "$t/config" "https://$REG_ANON/v2/busybox/blobs/$(
		self_json 'print(d["config"]["digest"])' "$t/m")" || return 1
	# shellcheck disable=SC2016 # $GREETING and $(pwd) are the image's
	self_json 'c = d["config"]
assert c["Env"] == ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "GREETING=hello"]
assert c["Cmd"] == ["sh", "-c", "echo $GREETING from $(pwd)"]
assert c["WorkingDir"] == "/srv"' "$t/config" || return 1
	mkdir -p "$root" && tar -xzf "$t/blob" -C "$root" || return 1
	# shellcheck disable=SC2016 # expanded by the image's shell
	out=$(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin GREETING=hello \
		chroot "$root" /bin/sh -c 'cd /srv && exec sh -c \
		"echo \$GREETING from \$(pwd)"')
	echo "#   busybox prints: $out"
	[ "$out" = "hello from /srv" ]
}

# The third layer of layers:latest contains the whiteouts as the OCI image
# spec spells them.
self_whiteouts()
{
	local t=$REG_DIR/self digest

	reg_get_manifest "$REG_ANON" layers latest "" "$t/m" "$t/h" ||
		return 1
	self_json 'assert len(d["layers"]) == 3' "$t/m" || return 1
	for i in 1 2; do
		digest=$(self_json "print(d['layers'][$i]['digest'])" "$t/m")
		reg_curl -f -L -o "$t/layer$i" \
			"https://$REG_ANON/v2/layers/blobs/$digest" || return 1
	done
	python3 - "$t/layer1" "$t/layer2" << 'PY'
import sys, tarfile
two = {i.name: i for i in tarfile.open(sys.argv[1]).getmembers()}
three = {i.name: i for i in tarfile.open(sys.argv[2]).getmembers()}
print("#     layer 2:", " ".join(sorted(two)))
print("#     layer 3:", " ".join(sorted(three)))
assert two["data/f2d"].isreg()
assert two["data/suid"].mode == 0o4755
assert two["data/suid"].uid == 0
assert two["data/user"].mode == 0o640
assert (two["data/user"].uid, two["data/user"].gid) == (1000, 1000)
assert two["data/sym"].issym()
assert two["data/sym"].linkname == "dir/x"
assert two["data/hard"].islnk()
assert two["data/hard"].linkname == "data/dir/x"
assert three["data/.wh.a"].isreg()
assert three["data/.wh.a"].size == 0
assert three["data/opq/.wh..wh..opq"].isreg()
assert "data/opq/new" in three
assert "data/opq/old" not in three
assert three["data/f2d"].isdir()
assert three["data/f2d/inside"].isreg()
PY
}

self_tls()
{
	local port=${REG_BADNAME##*:}

	self_curl_fails 60 --cacert "$REG_CA" "https://$REG_BADNAME/v2/" &&
		self_status 200 --cacert "$REG_CA" \
			--connect-to "127.0.0.9:$port:$REG_BADNAME" \
			"https://127.0.0.9:$port/v2/" &&
		self_curl_fails 60 --cacert "$REG_CA" \
			"https://$REG_BADCA/v2/" &&
		self_status 200 --cacert "$REG_OTHER_CA" \
			"https://$REG_BADCA/v2/" &&
		self_status 200 --cacert "$REG_CA" -H \
			"Accept: $REG_MANIFEST_ACCEPT" \
			"https://127.0.0.9:$port/v2/busybox/manifests/latest" \
			--connect-to "127.0.0.9:$port:$REG_BADNAME"
}

# Building busybox again gives the same manifest digest.
self_deterministic()
{
	local first second

	first=$(python3 -c '
import json, sys
for m in json.load(open(sys.argv[1]))["manifests"]:
    if m["annotations"]["org.opencontainers.image.ref.name"] == "busybox":
        print(m["digest"])' "$IMG_LAYOUT/index.json")
	img_build_busybox 2> /dev/null || return 1
	second=$(python3 -c '
import json, sys
for m in json.load(open(sys.argv[1]))["manifests"]:
    if m["annotations"]["org.opencontainers.image.ref.name"] == "busybox":
        print(m["digest"])' "$IMG_LAYOUT/index.json")
	echo "#   busybox built twice: $first $second"
	[ -n "$first" ] && [ "$first" = "$second" ]
}

self_stopped()
{
	local pid kind name netns=$REG_NETNS_PATH

	while read -r pid kind name; do
		echo "$pid" >> "$REG_DIR/self/was"
	done < "$REG_DIR/pids"
	reg_stop "$SELF_WORK" || return 1
	while read -r pid; do
		[ -e "/proc/$pid" ] && {
			echo "#   PID $pid is still there"
			return 1
		}
	done < "$REG_DIR/self/was"
	[ ! -e "$netns" ] || {
		echo "#   $netns still exists"
		return 1
	}
	! grep -q " $SELF_WORK" /proc/self/mountinfo
}

self_cleanup()
{
	reg_stop "$SELF_WORK"
	rm -rf --one-file-system "$SELF_WORK"
}

reg_selftest()
{
	local tree=${1:-} start

	[ "$(id -u)" = 0 ] || {
		reg_log "selftest needs root (network namespace)"
		return 1
	}
	unset REG_NETNS_PATH NETNS_PATH
	SELF_WORK=$(mktemp -d /tmp/bocker-registry.XXXXXX) || return 1
	trap self_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	start=$SECONDS
	self_check "start token server and registries" reg_start "$SELF_WORK" ||
		return 1
	mkdir -p "$REG_DIR/self"
	echo "# REG_ANON=$REG_ANON REG_TOKEN=$REG_TOKEN REG_BASIC=$REG_BASIC"
	echo "# REG_BADNAME=$REG_BADNAME REG_BADCA=$REG_BADCA"
	echo "# REG_TOKEN_REALM=$REG_TOKEN_REALM REG_NETNS_PATH=$REG_NETNS_PATH"
	echo "# started in $((SECONDS - start)) s"
	# shellcheck source=tests/mkimages.sh
	. "$REG_HERE/mkimages.sh"
	start=$SECONDS
	self_check "build images" img_build_all "$tree" || return 1
	echo "# built in $((SECONDS - start)) s"
	start=$SECONDS
	self_check "push images" img_push_all || return 1
	echo "# pushed in $((SECONDS - start)) s"
	self_check "catalog and tags" self_catalog
	self_check "busybox is schema 2" self_media busybox latest \
		application/vnd.docker.distribution.manifest.v2+json
	self_check "layers is schema 2" self_media layers latest \
		application/vnd.docker.distribution.manifest.v2+json
	self_check "oci is an OCI manifest" self_media oci latest \
		application/vnd.oci.image.manifest.v1+json
	self_check "multi is an OCI index" self_media multi latest \
		application/vnd.oci.image.index.v1+json
	self_check "plain is an OCI manifest" self_media plain latest \
		application/vnd.oci.image.manifest.v1+json
	if [ -n "${IMG_HAVE_DEBIAN:-}" ]; then
		self_check "debian is schema 2" self_media debian bookworm \
			application/vnd.docker.distribution.manifest.v2+json
	fi
	self_check "blob download matches digest" self_blob
	self_check "busybox runs its Cmd" self_busybox_runs
	self_check "whiteouts in layers" self_whiteouts
	self_check "token flow by hand" self_token_flow
	self_check "private needs credentials" self_private
	self_check "basic auth flow" self_basic_flow
	self_check "wrong name and unknown CA" self_tls
	self_check "busybox build deterministic" self_deterministic
	echo "# digests:"
	sed 's/^/#   /' "$REG_DIR/images/digests"
	self_check "stop leaves nothing" self_stopped
	echo "$SELF_PASSED passed, $SELF_FAILED failed"
	[ "$SELF_FAILED" = 0 ]
}

# ---------------------------------------------------------------- command

reg_main()
{
	set -u
	case ${1:-} in
	install)
		reg_install_packages
		;;
	start)
		[ $# = 2 ] || reg_usage
		reg_start "$2" || {
			reg_stop "$2"
			return 1
		}
		echo "registries up; for a shell that can reach them:"
		echo "  nsenter --net=$REG_NETNS_PATH bash"
		echo "  . $REG_DIR/env"
		cat "$REG_DIR/env"
		;;
	stop)
		[ $# = 2 ] || reg_usage
		reg_stop "$2"
		;;
	selftest)
		reg_selftest "${2:-}"
		;;
	*)
		reg_usage
		;;
	esac
}

reg_usage()
{
	echo "usage: $0 install | start DIR | stop DIR |" \
		"selftest [DEBIAN_TREE]" >&2
	exit 2
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	reg_main "$@"
fi
