#!/usr/bin/env bash
# gzca serve end to end over real sockets: OCSP checked by `openssl ocsp` (good, revoked,
# unknown on the P-256 and RSA hierarchies), CRLs refreshed on revocation, the JSON API with
# curl, limits, metrics and graceful shutdown. Usage: serve_test.sh GZCA_BINARY sqlite|postgres
GZCA=$1
source "$(dirname "$0")/lib.sh"
setup_db "$2"
cd "$WORK"
SERVER_PID=""
stop_server() { [ -n "$SERVER_PID" ] && kill -9 "$SERVER_PID" 2>/dev/null || true; }
trap 'stop_server; cleanup_db' EXIT

gz ca init --name rsa --algorithm rsa-2048 >/dev/null   # beside the demo hierarchies serve adds
printf '[server]\ndemo_hierarchies = ["sm2", "p256"]\nmax_body_bytes = 65536\n' >>"$CONFIG"
gz ca init --name p256 --algorithm ecdsa-p256 >/dev/null
"$GZCA" --data-dir "$DATA" --config "$CONFIG" serve --http 127.0.0.1:0 --https 127.0.0.1:0 \
    --ports-file ports >server.log 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do [ -s ports ] && break; sleep 0.1; done
[ -s ports ] || { cat server.log; fail "server did not start"; }
read -r HTTP HTTPS <ports
ok "gzca serve listens on http $HTTP and https $HTTPS"

for h in p256 rsa; do
    gz ca cert $h-root >$h-root.pem
    gz ca cert $h-issuing >$h-issuing.pem
done
TOKEN=$(gz --json apikey create --name test --scopes all | json_field "['token']")
READER=$(gz --json apikey create --name reader --scopes read | json_field "['token']")
api() { curl -sS --cacert p256-root.pem -H "Authorization: Bearer $TOKEN" "$@"; }
URL=https://localhost:$HTTPS/api/v1/certificates

# TLS from the server's own CA; health and metrics.
curl -sS --cacert p256-root.pem https://localhost:$HTTPS/healthz | grep -q '"ok"' || fail "healthz"
ok "HTTPS certificate for localhost verifies against the p256 root"

issue() {  # hierarchy keyalg → serial
    openssl genpkey $2 -out $1.key 2>/dev/null
    openssl req -new -key $1.key -utf8 -subj "/C=CN/O=国资测试机构/CN=$1 用户" -out $1.csr
    $PY -c "import json,sys; print(json.dumps({'csr': open('$1.csr').read(), 'issuer': '$1'}))" >$1.json
    api -H 'Content-Type: application/json' --data-binary @$1.json -o $1.out -w '%{http_code}' $URL \
        | grep -qx 201 || { cat $1.out; fail "API issuance ($1)"; }
    $PY -c "import json; d=json.load(open('$1.out')); open('$1-leaf.pem','w').write(d['certificate']); print(d['serial'])"
}
P256=$(issue p256 '-algorithm EC -pkeyopt ec_paramgen_curve:P-256')
RSA=$(issue rsa '-algorithm RSA -pkeyopt rsa_keygen_bits:2048')
ok "API issued $P256 (P-256) and $RSA (RSA)"

ocsp() {  # hierarchy serial [extra openssl ocsp args] → status line
    openssl ocsp -issuer $1-issuing.pem -serial 0x$2 -url http://127.0.0.1:$HTTP/ocsp \
        -CAfile $1-root.pem "${@:3}" >ocsp.out 2>&1 || true
    grep -q 'Response verify OK' ocsp.out || { cat ocsp.out; fail "OCSP response for $2 does not verify"; }
    grep "^0x$2:" ocsp.out | awk '{print $2}'
}
for h in p256 rsa; do
    serial=$([ $h = p256 ] && echo "$P256" || echo "$RSA")
    [ "$(ocsp $h "$serial")" = good ] || fail "OCSP good ($h)"
    [ "$(ocsp $h "$serial" -no_nonce)" = good ] || fail "OCSP good without nonce ($h)"
    [ "$(ocsp $h 1234567890abcdef)" = unknown ] || fail "OCSP unknown ($h)"
done
ok "openssl ocsp: Response verify OK, good and unknown, with and without nonce (P-256, RSA)"
grep -q 'WARNING: no nonce in response' ocsp.out && fail "nonce not echoed"

# Revocation through the API: OCSP answers revoked at once (the pre-signed 'good' is dropped),
# the CRL lists it after the background refresh.
for h in p256 rsa; do
    serial=$([ $h = p256 ] && echo "$P256" || echo "$RSA")
    api -H 'Content-Type: application/json' -d '{"reason":"keyCompromise"}' -o revoke.out \
        -w '%{http_code}' "$URL/$serial/revoke" | grep -qx 200 || { cat revoke.out; fail "revoke"; }
    [ "$(ocsp $h "$serial" -no_nonce)" = revoked ] || fail "OCSP revoked ($h)"
    grep -q 'Reason: keyCompromise' ocsp.out || fail "OCSP revocation reason ($h)"
done
ok "openssl ocsp: revoked with reason right after an API revocation (P-256, RSA)"
# GET form (RFC 6960 App. A).
openssl ocsp -issuer p256-issuing.pem -serial 0x$P256 -no_nonce -reqout req.der 2>/dev/null
b64=$(base64 -w0 req.der | sed 's/+/%2B/g; s/\//%2F/g; s/=/%3D/g')
curl -sS -o get.der http://127.0.0.1:$HTTP/ocsp/$b64
openssl ocsp -respin get.der -issuer p256-issuing.pem -serial 0x$P256 -CAfile p256-root.pem \
    2>&1 | grep -q ': revoked' || fail "OCSP over GET"
ok "OCSP over GET with a percent-encoded base64 request"

UPPER=$(tr a-f A-F <<<"$P256")
for _ in $(seq 1 50); do
    curl -sS -o p256.crl http://127.0.0.1:$HTTP/crl/p256-issuing.crl
    openssl crl -inform DER -in p256.crl -noout -text | grep -q "$UPPER" && break
    sleep 0.2
done
openssl crl -inform DER -in p256.crl -noout -text | grep -q "$UPPER" || fail "CRL lacks the revoked serial"
openssl crl -inform DER -in p256.crl -CAfile p256-issuing.pem -noout 2>&1 | grep -q 'verify OK' \
    || fail "served CRL does not verify"
ok "the served CRL lists the revocation and verifies"

# A revocation made by the CLI (another process) reaches OCSP and the CRL too.
CLI=$(issue p256 '-algorithm EC -pkeyopt ec_paramgen_curve:P-256')
[ "$(ocsp p256 "$CLI" -no_nonce)" = good ] || fail "OCSP good before CLI revocation"
gz cert revoke --serial "$CLI" --reason superseded >/dev/null
for _ in $(seq 1 50); do
    [ "$(ocsp p256 "$CLI" -no_nonce)" = revoked ] && break
    sleep 0.2
done
[ "$(ocsp p256 "$CLI" -no_nonce)" = revoked ] || fail "OCSP never saw the CLI revocation"
ok "a revocation by the CLI reaches the server's OCSP answers within seconds"

# Bad input over the wire: 4xx JSON, nothing issued.
before=$(gz cert list --json --limit 100000 | sha256sum)
code() { curl -sS --cacert p256-root.pem -o body.out -w '%{http_code}' "$@"; }
[ "$(code -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{bad' $URL)" = 400 ] || fail "malformed JSON"
[ "$(code -H 'Content-Type: application/json' --data-binary @p256.json $URL)" = 401 ] || fail "no credentials"
[ "$(code -H "Authorization: Bearer $READER" -H 'Content-Type: application/json' --data-binary @p256.json $URL)" = 403 ] || fail "wrong scope"
head -c 200000 /dev/zero | tr '\0' a >big.json
[ "$(code -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' --data-binary @big.json $URL)" = 413 ] || fail "oversized body"
[ "$(code -H "Authorization: Bearer $TOKEN" "$URL/00ff00ff")" = 404 ] || fail "unknown serial"
grep -q '"code"' body.out || fail "error body is not {code, message}"
[ "$before" = "$(gz cert list --json --limit 100000 | sha256sum)" ] || fail "bad requests changed data"
ok "malformed JSON, missing/wrong credentials, oversized body, unknown serial: 4xx, nothing changed"

curl -sS http://127.0.0.1:$HTTP/metrics >metrics.txt
grep -q '^gzca_ocsp_responses_total' metrics.txt || fail "metrics lack OCSP responses"
grep -q '^gzca_certificates_issued_total' metrics.txt || fail "metrics lack issuance"
ok "/metrics in Prometheus text format"

# Graceful shutdown: SIGTERM → exit 0.
kill -TERM "$SERVER_PID"
status=0
wait "$SERVER_PID" || status=$?
SERVER_PID=""
[ "$status" -eq 0 ] || { tail server.log; fail "serve exited $status on SIGTERM"; }
ok "SIGTERM stops the server with exit status 0"
echo "$checks passed, 0 failed"
