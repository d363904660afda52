#!/usr/bin/env bash
# The subscriber platform under load (issue 4's targets), on the embedded default (SQLite):
#   1. 200 concurrent logged-in sessions: p50/p99 of the order-list API (a page of 20 of the
#      subscriber's 40 orders) and of a page (GET /orders), each session with its own cookie,
#      beside the floor of the same load on the cheapest session-checked call;
#   2. a 10 MB upload: the server's peak memory beyond its resident size before the upload.
# Prints a small table and writes bench/results/platform.md.
#
# Usage: bench/platform.sh [BUILD_DIR]
# Settings: BENCH_SECONDS=10 BENCH_SESSIONS=200 BENCH_ORDERS=40 BENCH_KEEP=0
#
# Sessions are made by logging in once through the real SMS flow, then copying that login into
# BENCH_SESSIONS session rows (each with its own random cookie): logging in 200 times would be
# stopped — rightly — by the per-phone SMS limits.
set -Eeuo pipefail
trap 'echo "bench: line $LINENO: \"$BASH_COMMAND\" failed" >&2' ERR

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
gzca=$(realpath -e "${1:-build}/gzca")
: "${BENCH_SECONDS:=10}" "${BENCH_SESSIONS:=200}" "${BENCH_ORDERS:=40}" "${BENCH_KEEP:=0}"
for tool in wrk python3 sqlite3 curl openssl; do
    command -v "$tool" >/dev/null || { echo "bench: $tool missing" >&2; exit 2; }
done

work=$(mktemp -d /tmp/gzca-bench-platform.XXXXXX)
server_pid=""
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    [ "$BENCH_KEEP" = 1 ] && echo "bench: kept $work" || rm -rf "$work"
}
trap cleanup EXIT
data=$work/var
export GZCA_CA_PASSPHRASE="platform bench passphrase"
# The bench logs in from one address many times over.
mkdir -p "$data"
printf "[platform]\nsms_daily_per_address = 100000\n[server]\nhandler_threads = ${GZCA_HANDLER_THREADS:-32}\n" >"$data/gzca.toml"

"$gzca" --data-dir "$data" serve --http 127.0.0.1:0 --https 127.0.0.1:0 \
    --ports-file "$work/ports" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 200); do [ -s "$work/ports" ] && break; sleep 0.1; done
read -r _ https <"$work/ports"
base=https://localhost:$https

python3 "$bench_dir/platform_setup.py" "$gzca" "$data" "$base" "$BENCH_SESSIONS" \
    "$BENCH_ORDERS" "$work" >"$work/setup.log"
echo "bench: $BENCH_SESSIONS sessions, $(cat "$work/orders") orders in the list"

run_wrk() {  # path → "p50 p99 rps errors"
    GZCA_COOKIES="$work/cookies.txt" wrk -t2 -c"$BENCH_SESSIONS" -d"${BENCH_SECONDS}s" \
        --latency -s "$bench_dir/platform_sessions.lua" "$base$1" >"$work/wrk.out" 2>&1
    python3 - "$work/wrk.out" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
def ms(label):
    m = re.search(r"^\s+" + label + r"\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    v, unit = float(m.group(1)), m.group(2)
    return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v
rps = re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
errs = re.search(r"Socket errors: (.*)", text)
print(f"{ms('50%'):.2f} {ms('99%'):.2f} {float(rps):.0f} {non2xx.group(1) if non2xx else 0}"
      f"{' (' + errs.group(1) + ')' if errs else ''}")
PY
}
read -r api_p50 api_p99 api_rps api_err <<<"$(run_wrk /api/platform/orders)"
read -r page_p50 page_p99 page_rps page_err <<<"$(run_wrk /orders)"
# The floor on this machine: the cheapest session-checked call under the same load (one
# session look-up, a 100-byte answer) — what TLS, the event loop and wrk itself cost.
read -r floor_p50 floor_p99 floor_rps floor_err <<<"$(run_wrk /api/platform/session)"

# Peak memory of a 10 MB upload: reset the high-water mark (clear_refs 5), upload, read it.
rss_kb() { awk "/^$1:/ {print \$2}" "/proc/$server_pid/status"; }
upload_delta=$(python3 "$bench_dir/platform_upload.py" "$base" "$work" "$server_pid")

md=$bench_dir/results/platform.md
{
    echo "# Platform benchmark ($(date -u +%Y-%m-%d), $(nproc) cores)"
    echo
    echo "| measurement | p50 | p99 | req/s | non-2xx | target |"
    echo "|---|---|---|---|---|---|"
    echo "| GET /api/platform/orders, $BENCH_SESSIONS sessions | ${api_p50} ms | ${api_p99} ms | $api_rps | $api_err | p99 < 50 ms |"
    echo "| GET /orders (page), $BENCH_SESSIONS sessions | ${page_p50} ms | ${page_p99} ms | $page_rps | $page_err | p99 < 50 ms |"
    echo "| floor: GET /api/platform/session, $BENCH_SESSIONS sessions | ${floor_p50} ms | ${floor_p99} ms | $floor_rps | $floor_err | (reference) |"
    echo
    echo "10 MB upload: server peak memory $upload_delta beyond its resident size before (target < 16 MB)."
} | tee "$md"
