#!/usr/bin/env bash
# The subscriber platform's JSON API end to end over HTTPS (docs/platform-api.md): every step of
# a renewal order and its error paths, driven by platform_api_test.py against a real
# `gzca serve`. Usage: platform_api_test.sh GZCA_BINARY sqlite|postgres
GZCA=$1
HERE=$(cd "$(dirname "$0")" && pwd)
source "$(dirname "$0")/../interop/lib.sh"
setup_db "$2"
cd "$WORK"
SERVER_PID=""
stop_server() { [ -n "$SERVER_PID" ] && kill -9 "$SERVER_PID" 2>/dev/null || true; }
trap 'stop_server; cleanup_db' EXIT

"$GZCA" --data-dir "$DATA" --config "$CONFIG" serve --http 127.0.0.1:0 --https 127.0.0.1:0 \
    --ports-file ports >server.log 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 150); do [ -s ports ] && break; sleep 0.1; done
[ -s ports ] || { cat server.log; fail "server did not start"; }
read -r HTTP HTTPS <ports
ok "gzca serve listens on https $HTTPS"

export GZCA_BIN=$GZCA GZCA_DATA_DIR=$DATA GZCA_CONFIG=$CONFIG
export GZCA_BASE_URL=https://localhost:$HTTPS
if ! $PY "$HERE/platform_api_test.py"; then
    echo "--- server log ---"; tail -n 50 server.log
    fail "platform API test"
fi
# Nothing a client sent may appear in the log: ID numbers and the login codes the test received
# (platform_api_test.py lists them in secrets.txt).
[ -s secrets.txt ] || fail "no secrets list written"
while read -r secret; do
    [ -n "$secret" ] || continue
    if grep -qF -- "$secret" server.log; then fail "the server log carries '$secret'"; fi
done <secrets.txt
ok "server log carries no personal data"
kill -TERM "$SERVER_PID"; wait "$SERVER_PID" || fail "gzca serve did not exit cleanly"
SERVER_PID=""
ok "graceful shutdown"
