#!/usr/bin/env bash
# Runs one browser test file against a fresh `gzca serve`.
#
#   tests/browser/run.sh GZCA_BINARY TEST_FILE [extra node --test arguments]
#
# Makes a temporary data directory, starts `gzca --data-dir D serve` on 127.0.0.1 with ports
# chosen by the kernel, waits for the ports file, then runs `node --test TEST_FILE` with
#   GZCA_BASE_URL   https://localhost:<https port>   (the pages and the JSON API)
#   GZCA_HTTP_URL   http://127.0.0.1:<http port>     (OCSP, CRLs)
#   GZCA_BIN        the gzca binary, GZCA_DATA_DIR / GZCA_CONFIG its data directory and config
#                   (lib.mjs's gzca() runs the CLI on the same data)
#   GZCA_ARTIFACTS  <build dir>/browser-artifacts/<test name>/ (screenshots; kept afterwards)
# and finally stops the server (SIGTERM, then SIGKILL after 10 s). The server log is copied
# into the artifacts directory. Exit status: the test's.
#
# Needs Debian's Chromium (/usr/bin/chromium, or $GZCA_CHROMIUM) and tests/browser/node_modules
# (ensure-deps.sh: `npm ci` when missing or stale; scripts/install-deps.sh test runs it too).
set -euo pipefail

if [ $# -lt 2 ]; then
    echo "usage: $0 GZCA_BINARY TEST_FILE [node --test arguments]" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
gzca=$(realpath "$1")
test_file=$2
shift 2
case "$test_file" in /*) ;; *) test_file=$here/$test_file ;; esac
[ -x "$gzca" ] || { echo "run.sh: $gzca is not executable" >&2; exit 2; }
[ -f "$test_file" ] || { echo "run.sh: no test file $test_file" >&2; exit 2; }
# Normally done by scripts/install-deps.sh test; a fresh clone on a prepared machine may lack it.
"$here/ensure-deps.sh" || { echo "run.sh: cannot install $here/node_modules (npm ci)" >&2; exit 2; }
chromium=${GZCA_CHROMIUM:-/usr/bin/chromium}
[ -x "$chromium" ] || { echo "run.sh: Chromium not found at $chromium" >&2; exit 2; }

name=$(basename "$test_file")
name=${name%.mjs}
name=${name%.test}
artifacts=${GZCA_ARTIFACTS:-$(dirname "$gzca")/browser-artifacts/$name}
rm -rf "$artifacts"
mkdir -p "$artifacts"

work=$(mktemp -d /tmp/gzca_browser.XXXXXX)
data=$work/var
config=$work/gzca.toml
mkdir -p "$data"
: >"$config"
export GZCA_CA_PASSPHRASE=${GZCA_CA_PASSPHRASE:-"browser test passphrase"}

server_pid=""
stop_server() {
    [ -n "$server_pid" ] || return 0
    if kill -TERM "$server_pid" 2>/dev/null; then
        for _ in $(seq 1 100); do
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$server_pid" 2>/dev/null || true
    fi
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
}
cleanup() {
    local status=$?
    stop_server
    [ -f "$work/server.log" ] && cp "$work/server.log" "$artifacts/server.log"
    rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$gzca" --data-dir "$data" --config "$config" serve --http 127.0.0.1:0 --https 127.0.0.1:0 \
    --ports-file "$work/ports" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 300); do
    [ -s "$work/ports" ] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
done
if [ ! -s "$work/ports" ]; then
    echo "run.sh: gzca serve did not start" >&2
    cat "$work/server.log" >&2
    exit 1
fi
read -r http_port https_port <"$work/ports"

export GZCA_BASE_URL=https://localhost:$https_port
export GZCA_HTTP_URL=http://127.0.0.1:$http_port
export GZCA_BIN=$gzca
export GZCA_DATA_DIR=$data
export GZCA_CONFIG=$config
export GZCA_ARTIFACTS=$artifacts
export GZCA_CHROMIUM=$chromium
echo "run.sh: gzca serve at $GZCA_BASE_URL; artifacts in $artifacts"

cd "$here"
status=0
node --test --test-reporter=spec "$@" "$test_file" || status=$?
exit "$status"
