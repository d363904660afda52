#!/usr/bin/env bash
# The benchmark suite behind `make bench`: gzca side by side with cfssl and openssl, all driven by
# the same load generator (wrk), then one table against the targets of the issue. The table is
# printed at the end and written to bench/results/latest.md.
#
# Usage: bench/run.sh [BUILD_DIR]        (BUILD_DIR/gzca must exist; nothing is built here)
#
#   1. Issuance, ECDSA P-256, durable: gzca (SQLite, PostgreSQL) vs `cfssl serve` with and
#      without its SQLite certdb; `openssl speed ecdsap256` as the physical reference.
#   2. SM2 issuance through gzca vs the `openssl speed sm2` sign+verify bound.
#   3. OCSP: gzca vs `openssl ocsp -port` (index.txt) and `cfssl ocspserve` (pre-signed).
#   4. Scale: 1,000,000 certificates, 100,000 revoked, in SQLite and PostgreSQL: OCSP status
#      look-ups for random serials, CRL generation, issuance, and gzca's memory.
#
# Settings (environment):
#   BENCH_SECONDS=10        length of each measured wrk run (a warm-up run precedes each)
#   BENCH_WARMUP=2          length of each warm-up run
#   BENCH_THREADS=2 BENCH_CONNECTIONS=32         wrk load for throughput runs
#   BENCH_LOOKUP_CONNECTIONS=4                    wrk connections for the scale look-up latency
#   BENCH_SPEED_SECONDS=3   length of each `openssl speed` measurement
#   BENCH_SCALE_CERTS=1000000 BENCH_SCALE_REVOKED=100000 BENCH_SCALE_DER_BYTES=512
#   BENCH_POOL=4000         random serials in the OCSP request pool of the scale test
#   BENCH_PARTS="issue sm2 ocsp scale"           which parts to run
#   BENCH_PG=1              0 skips everything PostgreSQL
#   GZCA_IO_THREADS=0 GZCA_HANDLER_THREADS=32     [server] settings of every gzca serve
#   BENCH_KEEP=1            keep the temporary directory (logs, databases) for inspection
#
# Every server listens on 127.0.0.1 only (`openssl ocsp -port` cannot be told an address, so it
# runs in a network namespace of its own that has nothing but loopback); all of them, and the
# throwaway PostgreSQL, are stopped on exit, also on failure or Ctrl-C.
set -Eeuo pipefail
trap 'echo "bench: line $LINENO: \"$BASH_COMMAND\" failed" >&2' ERR

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build_dir=${1:-build}
gzca=$(realpath -e "$build_dir/gzca" 2>/dev/null) || {
    echo "bench: $build_dir/gzca not found; build it first (cmake --build $build_dir --target gzca)" >&2
    exit 2
}

: "${BENCH_SECONDS:=10}" "${BENCH_WARMUP:=2}" "${BENCH_THREADS:=2}" "${BENCH_CONNECTIONS:=32}"
: "${BENCH_LOOKUP_CONNECTIONS:=4}" "${BENCH_SPEED_SECONDS:=3}"
: "${BENCH_SCALE_CERTS:=1000000}" "${BENCH_SCALE_REVOKED:=100000}" "${BENCH_SCALE_DER_BYTES:=512}"
: "${BENCH_POOL:=4000}" "${BENCH_PARTS:=issue sm2 ocsp scale}" "${BENCH_PG:=1}"
: "${GZCA_IO_THREADS:=0}" "${GZCA_HANDLER_THREADS:=32}" "${BENCH_KEEP:=0}"

for tool in wrk openssl python3 sqlite3 curl; do
    command -v "$tool" >/dev/null || {
        echo "bench: '$tool' is missing (Debian packages: wrk openssl python3 sqlite3 curl)" >&2
        exit 2
    }
done
have_cfssl=0
if command -v cfssl >/dev/null; then
    have_cfssl=1
else
    echo "bench: cfssl not found (Debian package golang-cfssl): its rows are skipped" >&2
fi
part() { [[ " $BENCH_PARTS " == *" $1 "* ]]; }

work=$(mktemp -d /tmp/gzca-bench.XXXXXX)  # short: PostgreSQL's socket path lives under it
chmod 755 "$work"
logs=$work/logs
mkdir -p "$logs"
results=$work/results.txt
: >"$results"
export GZCA_CA_PASSPHRASE="bench passphrase $(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"
clk_tck=$(getconf CLK_TCK)
started=$(date +%s)

# ---- processes and cleanup -------------------------------------------------------------------

pids=()          # every server started here, stopped on exit
pg_bin="" pg_dir="" pg_started=0 as_pg=()

stop_pid() {  # stop_pid PID: SIGTERM, then SIGKILL after 10 s
    local pid=$1 i
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
}

# shellcheck disable=SC2317  # invoked by the trap
cleanup() {
    local status=$?
    trap - EXIT INT TERM
    local pid
    for pid in "${pids[@]}"; do stop_pid "$pid"; done
    wait 2>/dev/null || true
    if [ "$pg_started" -eq 1 ]; then
        "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    if [ "$BENCH_KEEP" = 1 ] || [ "$status" -ne 0 ]; then
        echo "bench: logs and data kept in $work" >&2
    else
        rm -rf "$work"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log() { printf '[bench %4ds] %s\n' "$(($(date +%s) - started))" "$*" >&2; }
die() {
    echo "bench: $*" >&2
    exit 1
}
record() { printf '%s\t%s\n' "$1" "$2" >>"$results"; }  # record KEY VALUE
now_ms() { echo $(($(date +%s%N) / 1000000)); }

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_port() {  # wait_port PID PORT [NETNS_PID]: until PORT is listening (in PID's netns)
    # Asked of the kernel (ss), not by connecting: `openssl ocsp -port` stalls on a connection
    # that closes without sending a request.
    local pid=$1 port=$2 ns=${3:-} i
    local probe=(ss -Hltn "sport = :$port")
    [ -n "$ns" ] && probe=(nsenter -t "$ns" -n "${probe[@]}")
    for ((i = 0; i < 300; i++)); do
        kill -0 "$pid" 2>/dev/null || return 1
        [ -n "$("${probe[@]}" 2>/dev/null)" ] && return 0
        sleep 0.1
    done
    return 1
}

# CPU time (clock ticks, all threads) of the given processes; absent ones count 0.
cpu_ticks() {
    local total=0 pid t
    for pid in "$@"; do
        t=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{print $12 + $13}') || t=0
        total=$((total + ${t:-0}))
    done
    echo "$total"
}

# The PostgreSQL server's processes (postmaster and every backend) when it runs, else nothing.
pg_pids() {
    [ "$pg_started" -eq 1 ] || return 0
    local pm
    pm=$(head -1 "$pg_dir/data/postmaster.pid" 2>/dev/null) || return 0
    echo "$pm" $(pgrep -P "$pm" || true)
}

record_memory() {  # record_memory KEY PID: VmRSS and VmHWM in kB
    local rss hwm
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$2/status" 2>/dev/null || echo 0)
    hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$2/status" 2>/dev/null || echo 0)
    record "$1.rss_kb" "${rss:-0}"
    record "$1.hwm_kb" "${hwm:-0}"
}

# ---- the load generator ----------------------------------------------------------------------

# bench_wrk KEY "SERVER PIDS" "EXTRA PIDS" THREADS CONNECTIONS URL [NETNS_PID] -- post.lua ARGS
# A warm-up run (BENCH_WARMUP s), then the measured one (wrk_measure).
bench_wrk() {
    if [ "$BENCH_WARMUP" -gt 0 ]; then
        BENCH_SECONDS=$BENCH_WARMUP wrk_run "$1.warmup" "$@" || true
    fi
    wrk_measure "$@"
}

wrk_run() {  # wrk_run LOG_NAME KEY PIDS EXTRA THREADS CONNECTIONS URL [NETNS_PID] -- ARGS
    local log=$1 threads=$5 conns=$6 url=$7 ns=""
    shift 7
    if [ "$1" != -- ]; then ns=$1; shift; fi
    shift  # --
    local prefix=()
    [ -n "$ns" ] && prefix=(nsenter -t "$ns" -n)
    "${prefix[@]}" wrk -t"$threads" -c"$conns" --timeout 10s --latency -s "$bench_dir/post.lua" \
        -d"${BENCH_SECONDS}s" "$url" -- "$@" >"$logs/$log.txt" 2>&1
}

# wrk_measure KEY "SERVER PIDS" "EXTRA PIDS" THREADS CONNECTIONS URL [NETNS_PID] -- ARGS
# Records KEY.{requests,ok,rps,p50_us,p99_us,errors,cpu_us,extra_cpu_us,bytes}: CPU of the
# server (and extra, e.g. PostgreSQL) processes over the run per request answered with a 2xx.
# When count_cmd is set, its output (a row count) is taken around the run: KEY.stored.
count_cmd=""
wrk_measure() {
    local key=$1 server_pids=$2 extra_pids=$3
    # shellcheck disable=SC2086  # word splitting of the pid lists is intended
    local c0 e0 c1 e1 n0=""
    [ -n "$count_cmd" ] && n0=$(eval "$count_cmd")
    c0=$(cpu_ticks $server_pids)
    e0=$(cpu_ticks $extra_pids)
    wrk_run "$key" "$@" || die "wrk failed for $key: $(tail -3 "$logs/$key.txt")"
    # shellcheck disable=SC2086
    c1=$(cpu_ticks $server_pids)
    # shellcheck disable=SC2086
    e1=$(cpu_ticks $extra_pids)
    if [ -n "$count_cmd" ]; then
        sleep 1  # requests still in flight when wrk stopped
        record "$key.stored" "$(($(eval "$count_cmd") - n0))"
    fi
    local line
    line=$(grep '^BENCH ' "$logs/$key.txt") || die "no result from wrk for $key: $(tail -3 "$logs/$key.txt")"
    python3 - "$key" "$line" "$((c1 - c0))" "$((e1 - e0))" "$clk_tck" >>"$results" <<'EOF'
import sys
key, line, ticks, extra, hz = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
v = dict(kv.split("=") for kv in line.split()[1:])
v = {k: int(x) for k, x in v.items()}
errors = v["err_connect"] + v["err_read"] + v["err_write"] + v["err_timeout"] + v["err_status"]
ok = max(v["requests"] - v["err_status"] - v["err_timeout"], 0)
secs = v["duration_us"] / 1e6
out = {
    "requests": v["requests"], "ok": ok, "errors": errors, "status_errors": v["err_status"],
    "rps": ok / secs, "p50_us": v["p50_us"], "p99_us": v["p99_us"],
    "bytes": v["bytes"] / max(v["requests"], 1),
    "cpu_us": ticks * 1e6 / hz / max(ok, 1), "extra_cpu_us": extra * 1e6 / hz / max(ok, 1),
}
if ok == 0:  # nothing answered: no per-request CPU
    del out["cpu_us"], out["extra_cpu_us"]
for k, x in out.items():
    print(f"{key}.{k}\t{x}")
EOF
    log "$key: $(grep "^$key.rps" "$results" | cut -f2 | xargs printf '%.0f')/s," \
        "p99 $(grep "^$key.p99_us" "$results" | cut -f2) us," \
        "errors $(grep "^$key.errors" "$results" | cut -f2)"
}

# ---- gzca ------------------------------------------------------------------------------------

gz_pid="" gz_http="" gz_https="" gz_token=""

write_gzca_config() {  # write_gzca_config DIR [DATABASE_URL]
    {
        if [ -n "${2:-}" ]; then
            printf '[database]\nurl = "%s"\n' "$2"
        fi
        printf '[server]\nio_threads = %d\nhandler_threads = %d\n' \
            "$GZCA_IO_THREADS" "$GZCA_HANDLER_THREADS"
    } >"$1/gzca.toml"
}

start_gzca() {  # start_gzca DIR: sets gz_pid, gz_http, gz_https, gz_token
    local dir=$1 i
    rm -f "$dir/ports"
    "$gzca" --data-dir "$dir" serve --http 127.0.0.1:0 --https 127.0.0.1:0 \
        --ports-file "$dir/ports" >>"$dir/serve.log" 2>&1 &
    gz_pid=$!
    pids+=("$gz_pid")
    for ((i = 0; i < 1200; i++)); do
        [ -s "$dir/ports" ] && break
        kill -0 "$gz_pid" 2>/dev/null || die "gzca serve exited: $(tail -5 "$dir/serve.log")"
        sleep 0.1
    done
    [ -s "$dir/ports" ] || die "gzca serve did not start in 120 s: $(tail -5 "$dir/serve.log")"
    read -r gz_http gz_https <"$dir/ports"
    if [ -z "$gz_token" ] || [ ! -f "$dir/.token" ]; then
        "$gzca" --data-dir "$dir" --json apikey create --name bench --scopes all >"$dir/apikey.json" ||
            die "apikey create failed"
        python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["token"])' \
            "$dir/apikey.json" >"$dir/.token"
    fi
    gz_token=$(cat "$dir/.token")
}

stop_gzca() {  # stop_gzca KEY: records memory, stops the server
    record_memory "$1" "$gz_pid"
    stop_pid "$gz_pid"
    wait "$gz_pid" 2>/dev/null || true
}

issue_body() {  # issue_body CSR ISSUER OUT: the JSON body of POST /api/v1/certificates
    python3 -c 'import json, sys
print(json.dumps({"csr": open(sys.argv[1]).read(), "issuer": sys.argv[2], "profile": "sign"}))' \
        "$1" "$2" >"$3"
}

issue_once() {  # issue_once BODY OUT_PEM: one certificate through the API (checks it works)
    curl -skf -X POST -H "Authorization: Bearer $gz_token" -H 'Content-Type: application/json' \
        --data-binary @"$1" "https://127.0.0.1:$gz_https/api/v1/certificates" >"$2.json" ||
        die "issuance through the API failed: $(cat "$2.json" 2>/dev/null)"
    python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["certificate"], end="")' \
        "$2.json" >"$2"
}

sql_count() {  # sql_count DATA_DIR PG_URL SQL: one number from gzca's database
    if [ -n "$2" ]; then
        psql -Atq "$2" -c "$3"
    else
        sqlite3 "$1/gzca.db" ".timeout 10000" "$3"
    fi
}

# ---- PostgreSQL (throwaway, like scripts/run-tests.sh, but with fsync on: durability is the point)

start_pg() {
    [ "$BENCH_PG" = 1 ] || return 1
    for candidate in /usr/lib/postgresql/*/bin; do
        [ -x "$candidate/initdb" ] && pg_bin=$candidate
    done
    [ -n "$pg_bin" ] || { log "PostgreSQL server binaries not found: PostgreSQL rows skipped"; return 1; }
    command -v psql >/dev/null || { log "psql not found: PostgreSQL rows skipped"; return 1; }
    if [ "$(id -u)" -eq 0 ]; then
        local user=postgres
        if ! id -u "$user" >/dev/null 2>&1; then
            user=gzca-test-pg
            id -u "$user" >/dev/null 2>&1 ||
                useradd --system --no-create-home --shell /usr/sbin/nologin "$user"
        fi
        as_pg=(runuser -u "$user" --)
        pg_dir=$work/pg
        mkdir -p "$pg_dir"
        chown "$user:" "$pg_dir"
    else
        pg_dir=$work/pg
        mkdir -p "$pg_dir"
    fi
    "${as_pg[@]}" "$pg_bin/initdb" -D "$pg_dir/data" -A trust -U gzca -E UTF8 --no-locale \
        >"$logs/initdb.log" 2>&1 || { log "initdb failed: PostgreSQL rows skipped"; return 1; }
    pg_started=1
    "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 60 \
        -o "-k $pg_dir -c listen_addresses='' -c max_connections=100 -c shared_buffers=256MB -c max_wal_size=8GB" \
        start >/dev/null || { log "PostgreSQL did not start: PostgreSQL rows skipped"; return 1; }
    return 0
}

pg_url() { echo "postgresql:///$1?host=$pg_dir&user=gzca"; }

# ---- 0. physical reference: openssl speed ----------------------------------------------------

cores=$(nproc)
record machine.cores "$cores"
record machine.cpu "$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
record machine.load "$(cut -d' ' -f1-3 /proc/loadavg)"
record lookup_conns "$BENCH_LOOKUP_CONNECTIONS"
record settings "BENCH_SECONDS=$BENCH_SECONDS wrk -t$BENCH_THREADS -c$BENCH_CONNECTIONS, warm-up ${BENCH_WARMUP}s; gzca io_threads=$GZCA_IO_THREADS handler_threads=$GZCA_HANDLER_THREADS"
record versions "$("$gzca" --version 2>/dev/null | head -1 || echo gzca); $(openssl version | cut -d' ' -f1-2); cfssl $(cfssl version 2>/dev/null | awk '/^Version/ {print $2}'); $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2 || true)"

if part issue || part sm2; then
    log "openssl speed -multi $cores ecdsap256 sm2 (${BENCH_SPEED_SECONDS}s each)"
    openssl speed -multi "$cores" -seconds "$BENCH_SPEED_SECONDS" -mr ecdsap256 sm2 \
        >"$logs/speed.txt" 2>&1 || die "openssl speed failed: $(tail -3 "$logs/speed.txt")"
    # -mr: "+F4:idx:bits:sign/s:verify/s" (ECDSA), "+F7:idx:bits:name:sign/s:verify/s" (SM2),
    # summed over the -multi processes.
    awk -F: '/^\+F4:/ && $3 == 256 {print "speed.p256.sign\t" $4; print "speed.p256.verify\t" $5}
             /^\+F7:/ {print "speed.sm2.sign\t" $5; print "speed.sm2.verify\t" $6}' \
        "$logs/speed.txt" >>"$results"
fi

# ---- test material: the peers' P-256 CA, CSRs ------------------------------------------------

mat=$work/material
mkdir -p "$mat"
(
    cd "$mat"
    openssl ecparam -name prime256v1 -genkey -noout -out peer-ca.key
    openssl req -x509 -new -key peer-ca.key -sha256 -days 30 -subj '/C=CN/O=bench peers/CN=Peer P-256 CA' \
        -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign,cRLSign' \
        -out peer-ca.pem
    openssl ecparam -name prime256v1 -genkey -noout -out tls.key
    openssl req -new -key tls.key -subj '/CN=127.0.0.1' -out tls.csr
    openssl x509 -req -in tls.csr -CA peer-ca.pem -CAkey peer-ca.key -CAcreateserial -days 30 \
        -extfile <(printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n') -out tls.pem
    openssl ecparam -name prime256v1 -genkey -noout -out p256.key
    openssl req -new -key p256.key -sha256 -subj '/C=CN/O=gzca bench/CN=bench.example' -out p256.csr
    openssl genpkey -algorithm SM2 -out sm2.key
    openssl req -new -key sm2.key -sm3 -sigopt distid:1234567812345678 \
        -subj '/C=CN/O=gzca bench/CN=sm2 bench' -out sm2.csr
) >"$logs/material.log" 2>&1 || die "making test material failed: $(tail -5 "$logs/material.log")"
python3 -c 'import json, sys; print(json.dumps({"certificate_request": open(sys.argv[1]).read()}))' \
    "$mat/p256.csr" >"$mat/cfssl-sign.json"

# ---- 1-3. gzca on SQLite: P-256 and SM2 issuance, OCSP ----------------------------------------

if part issue || part sm2 || part ocsp; then
    gdir=$work/gzca-sqlite
    mkdir -p "$gdir"
    write_gzca_config "$gdir"
    log "gzca serve (SQLite): first start creates the sm2 and p256 hierarchies"
    gz_token=""
    start_gzca "$gdir"
    issue_body "$mat/p256.csr" p256 "$mat/gzca-p256.json"
    issue_body "$mat/sm2.csr" sm2 "$mat/gzca-sm2.json"
    issue_once "$mat/gzca-p256.json" "$mat/gzca-ee.pem"
    "$gzca" --data-dir "$gdir" ca cert p256-issuing >"$mat/gzca-p256-issuing.pem"
    url="https://127.0.0.1:$gz_https/api/v1/certificates"
    auth="Bearer $gz_token"

    if part issue; then
        count_cmd="sql_count '$gdir' '' \"SELECT COUNT(*) FROM certificates WHERE status = 'issued'\""
        bench_wrk issue.gzca_sqlite "$gz_pid" "" "$BENCH_THREADS" "$BENCH_CONNECTIONS" "$url" -- \
            body "$mat/gzca-p256.json" application/json "$auth"
        count_cmd=""
    fi
    if part sm2; then
        issue_once "$mat/gzca-sm2.json" "$mat/gzca-sm2-ee.pem"
        bench_wrk sm2.gzca_sqlite "$gz_pid" "" "$BENCH_THREADS" "$BENCH_CONNECTIONS" "$url" -- \
            body "$mat/gzca-sm2.json" application/json "$auth"
    fi
    if part ocsp; then
        openssl ocsp -issuer "$mat/gzca-p256-issuing.pem" -cert "$mat/gzca-ee.pem" -no_nonce \
            -reqout "$mat/gzca-ocsp.der" >/dev/null 2>&1
        openssl ocsp -issuer "$mat/gzca-p256-issuing.pem" -cert "$mat/gzca-ee.pem" \
            -reqout "$mat/gzca-ocsp-nonce.der" >/dev/null 2>&1
        curl -sf -H 'Content-Type: application/ocsp-request' --data-binary @"$mat/gzca-ocsp.der" \
            "http://127.0.0.1:$gz_http/ocsp" -o "$mat/gzca-ocsp-resp.der" || die "gzca OCSP failed"
        openssl ocsp -respin "$mat/gzca-ocsp-resp.der" -resp_text -noverify >"$mat/gzca-ocsp-resp.txt" 2>&1 || true
        grep -q 'Cert Status: good' "$mat/gzca-ocsp-resp.txt" || die "gzca OCSP did not answer good"
        bench_wrk ocsp.gzca_cached "$gz_pid" "" "$BENCH_THREADS" "$BENCH_CONNECTIONS" \
            "http://127.0.0.1:$gz_http/ocsp" -- body "$mat/gzca-ocsp.der" application/ocsp-request
        bench_wrk ocsp.gzca_nonce "$gz_pid" "" "$BENCH_THREADS" "$BENCH_CONNECTIONS" \
            "http://127.0.0.1:$gz_http/ocsp" -- body "$mat/gzca-ocsp-nonce.der" application/ocsp-request
    fi
    stop_gzca mem.gzca_sqlite
fi

# ---- 1. gzca on PostgreSQL ---------------------------------------------------------------------

pg_ok=0
if { part issue || part scale; } && start_pg; then
    pg_ok=1
fi
if part issue && [ "$pg_ok" = 1 ]; then
    "$pg_bin/createdb" -h "$pg_dir" -U gzca gzca_bench
    gdir=$work/gzca-pg
    mkdir -p "$gdir"
    write_gzca_config "$gdir" "$(pg_url gzca_bench)"
    log "gzca serve (PostgreSQL, fsync on)"
    gz_token=""
    start_gzca "$gdir"
    issue_once "$mat/gzca-p256.json" "$mat/gzca-pg-ee.pem"
    count_cmd="sql_count '$gdir' '$(pg_url gzca_bench)' \"SELECT COUNT(*) FROM certificates WHERE status = 'issued'\""
    bench_wrk issue.gzca_pg "$gz_pid" "$(pg_pids)" "$BENCH_THREADS" "$BENCH_CONNECTIONS" \
        "https://127.0.0.1:$gz_https/api/v1/certificates" -- \
        body "$mat/gzca-p256.json" application/json "Bearer $gz_token"
    count_cmd=""
    stop_gzca mem.gzca_pg
fi

# ---- cfssl -------------------------------------------------------------------------------------

# cfssl's certdb schema (certdb/sqlite/migrations of cfssl, applied there with goose; the Debian
# package ships neither goose nor the migration files): the two tables its SQL statements use.
cfssl_certdb() {  # cfssl_certdb DB_FILE CONFIG_JSON
    sqlite3 "$1" <<'EOF'
CREATE TABLE certificates (
  serial_number            blob NOT NULL,
  authority_key_identifier blob NOT NULL,
  ca_label                 blob,
  status                   blob NOT NULL,
  reason                   int,
  expiry                   timestamp,
  revoked_at               timestamp,
  pem                      blob NOT NULL,
  PRIMARY KEY(serial_number, authority_key_identifier)
);
CREATE TABLE ocsp_responses (
  serial_number            blob NOT NULL,
  authority_key_identifier blob NOT NULL,
  body                     blob NOT NULL,
  expiry                   timestamp,
  PRIMARY KEY(serial_number, authority_key_identifier),
  FOREIGN KEY(serial_number, authority_key_identifier)
    REFERENCES certificates(serial_number, authority_key_identifier)
);
EOF
    printf '{"driver": "sqlite3", "data_source": "%s"}\n' "$1" >"$2"
}

start_cfssl_serve() {  # start_cfssl_serve PORT [DB_CONFIG]: sets cf_pid
    local args=(serve -loglevel 2 -address 127.0.0.1 -port "$1" -ca "$mat/peer-ca.pem"
        -ca-key "$mat/peer-ca.key" -tls-cert "$mat/tls.pem" -tls-key "$mat/tls.key")
    [ -n "${2:-}" ] && args+=(-db-config "$2")
    cfssl "${args[@]}" >>"$logs/cfssl-serve.log" 2>&1 &
    cf_pid=$!
    pids+=("$cf_pid")
    wait_port "$cf_pid" "$1" || die "cfssl serve did not start: $(tail -3 "$logs/cfssl-serve.log")"
    curl -skf -X POST --data-binary @"$mat/cfssl-sign.json" \
        "https://127.0.0.1:$1/api/v1/cfssl/sign" >"$mat/cfssl-check.json" || true
    grep -q '"success":true' "$mat/cfssl-check.json" ||
        die "cfssl sign failed: $(tail -3 "$logs/cfssl-serve.log")"
}

if part issue && [ "$have_cfssl" = 1 ]; then
    port=$(free_port)
    log "cfssl serve (no certdb)"
    start_cfssl_serve "$port"
    bench_wrk issue.cfssl_nodb "$cf_pid" "" "$BENCH_THREADS" "$BENCH_CONNECTIONS" \
        "https://127.0.0.1:$port/api/v1/cfssl/sign" -- body "$mat/cfssl-sign.json" application/json
    stop_pid "$cf_pid"

    cfssl_certdb "$work/cfssl-certs.db" "$work/cfssl-db.json"
    port=$(free_port)
    log "cfssl serve (SQLite certdb)"
    start_cfssl_serve "$port" "$work/cfssl-db.json"
    count_cmd="sqlite3 '$work/cfssl-certs.db' '.timeout 10000' 'SELECT COUNT(*) FROM certificates'"
    bench_wrk issue.cfssl_sqlite "$cf_pid" "" "$BENCH_THREADS" "$BENCH_CONNECTIONS" \
        "https://127.0.0.1:$port/api/v1/cfssl/sign" -- body "$mat/cfssl-sign.json" application/json
    count_cmd=""
    record issue.cfssl_sqlite.journal "$(sqlite3 "$work/cfssl-certs.db" 'PRAGMA journal_mode')"
    stop_pid "$cf_pid"
fi

# ---- 3. OCSP peers -----------------------------------------------------------------------------

if part ocsp; then
    # One certificate of the peer CA, in a small cfssl certdb (for ocsprefresh) and in index.txt.
    cfssl_ok=0
    if [ "$have_cfssl" = 1 ]; then
        cfssl_certdb "$work/cfssl-ocsp.db" "$work/cfssl-ocsp.json"
        if cfssl sign -loglevel 2 -ca "$mat/peer-ca.pem" -ca-key "$mat/peer-ca.key" \
            -db-config "$work/cfssl-ocsp.json" "$mat/p256.csr" >"$mat/peer-ee.json" 2>"$logs/cfssl-sign.log" &&
            cfssl ocsprefresh -loglevel 2 -db-config "$work/cfssl-ocsp.json" -ca "$mat/peer-ca.pem" \
                -responder "$mat/peer-ca.pem" -responder-key "$mat/peer-ca.key" >>"$logs/cfssl-sign.log" 2>&1 &&
            cfssl ocspdump -loglevel 2 -db-config "$work/cfssl-ocsp.json" >"$mat/cfssl-responses.txt" 2>>"$logs/cfssl-sign.log" &&
            [ -s "$mat/cfssl-responses.txt" ]; then
            cfssl_ok=1
            python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["cert"], end="")' \
                "$mat/peer-ee.json" >"$mat/peer-ee.pem"
        else
            log "cfssl sign/ocsprefresh/ocspdump failed: $(tail -2 "$logs/cfssl-sign.log")"
        fi
    fi
    if [ "$cfssl_ok" = 0 ]; then  # openssl ocsp still needs a certificate of the peer CA
        openssl x509 -req -in "$mat/p256.csr" -CA "$mat/peer-ca.pem" -CAkey "$mat/peer-ca.key" \
            -CAcreateserial -days 30 -out "$mat/peer-ee.pem" 2>/dev/null
    fi
    openssl ocsp -issuer "$mat/peer-ca.pem" -cert "$mat/peer-ee.pem" -no_nonce \
        -reqout "$mat/peer-ocsp.der" >/dev/null 2>&1
    openssl ocsp -issuer "$mat/peer-ca.pem" -cert "$mat/peer-ee.pem" \
        -reqout "$mat/peer-ocsp-nonce.der" >/dev/null 2>&1

    if [ "$cfssl_ok" = 1 ]; then
        port=$(free_port)
        log "cfssl ocspserve (responses from ocsprefresh + ocspdump)"
        cfssl ocspserve -loglevel 2 -address 127.0.0.1 -port "$port" \
            -responses "$mat/cfssl-responses.txt" >"$logs/cfssl-ocspserve.log" 2>&1 &
        cf_pid=$!
        pids+=("$cf_pid")
        wait_port "$cf_pid" "$port" || die "cfssl ocspserve did not start"
        bench_wrk ocsp.cfssl_cached "$cf_pid" "" "$BENCH_THREADS" "$BENCH_CONNECTIONS" \
            "http://127.0.0.1:$port/" -- body "$mat/peer-ocsp.der" application/ocsp-request
        bench_wrk ocsp.cfssl_nonce "$cf_pid" "" "$BENCH_THREADS" "$BENCH_CONNECTIONS" \
            "http://127.0.0.1:$port/" -- body "$mat/peer-ocsp-nonce.der" application/ocsp-request
        stop_pid "$cf_pid"
    fi

    # openssl ocsp -port binds every address and has no option for one: it runs in a network
    # namespace of its own with only loopback up, and wrk joins that namespace.
    ns_cmd=()
    if unshare -n true 2>/dev/null; then
        ns_cmd=(unshare -n)
    elif unshare -rn true 2>/dev/null; then
        ns_cmd=(unshare -rn)
    fi
    if [ ${#ns_cmd[@]} -eq 0 ]; then
        log "no network namespace available (unshare -n): openssl ocsp rows skipped"
        record ocsp.openssl.skipped "unshare -n is not permitted here"
    else
        due=$(date -u -d '+1 year' +%y%m%d%H%M%SZ)
        serial=$(openssl x509 -in "$mat/peer-ee.pem" -noout -serial | cut -d= -f2)
        printf 'V\t%s\t\t%s\tunknown\t/C=CN/O=gzca bench/CN=bench.example\n' "$due" "$serial" \
            >"$mat/index.txt"
        # OpenSSL 3.0's responder spins forever on a connection closed before its request was
        # read, as wrk leaves some at the end of a run: a fresh responder for every wrk run.
        start_openssl_ocsp() {  # start_openssl_ocsp PROCESSES: sets os_pid, os_pids, os_port
            local multi=()
            [ "$1" != 1 ] && multi=(-multi "$1")
            os_port=$(free_port)
            "${ns_cmd[@]}" sh -c 'ip link set lo up && exec "$@"' sh \
                openssl ocsp -port "$os_port" -index "$mat/index.txt" -CA "$mat/peer-ca.pem" \
                -rsigner "$mat/peer-ca.pem" -rkey "$mat/peer-ca.key" -ndays 1 "${multi[@]}" \
                >/dev/null 2>>"$logs/openssl-ocsp.log" &
            os_pid=$!
            pids+=("$os_pid")
            wait_port "$os_pid" "$os_port" "$os_pid" ||
                die "openssl ocsp did not start: $(tail -3 "$logs/openssl-ocsp.log")"
            sleep 0.3  # -multi: the responders are forked children of the first process
            os_pids="$os_pid $({ pgrep -P "$os_pid" || true; } | tr '\n' ' ')"
        }
        stop_openssl_ocsp() {
            local p
            for p in $os_pids; do kill "$p" 2>/dev/null || true; done
            stop_pid "$os_pid"
            wait "$os_pid" 2>/dev/null || true
        }
        bench_openssl_ocsp() {  # bench_openssl_ocsp KEY PROCESSES REQUEST_DER
            if [ "$BENCH_WARMUP" -gt 0 ]; then
                start_openssl_ocsp "$2"
                BENCH_SECONDS=$BENCH_WARMUP wrk_run "$1.warmup" "$1" "" "" "$BENCH_THREADS" \
                    "$BENCH_CONNECTIONS" "http://127.0.0.1:$os_port/" "$os_pid" -- \
                    body "$3" application/ocsp-request || true
                stop_openssl_ocsp
            fi
            start_openssl_ocsp "$2"
            wrk_measure "$1" "$os_pids" "" "$BENCH_THREADS" "$BENCH_CONNECTIONS" \
                "http://127.0.0.1:$os_port/" "$os_pid" -- body "$3" application/ocsp-request
            stop_openssl_ocsp
        }
        log "openssl ocsp -port (index.txt), 1 and $cores processes"
        bench_openssl_ocsp ocsp.openssl_1 1 "$mat/peer-ocsp.der"
        bench_openssl_ocsp ocsp.openssl_nonce 1 "$mat/peer-ocsp-nonce.der"
        [ "$cores" -gt 1 ] && bench_openssl_ocsp "ocsp.openssl_$cores" "$cores" "$mat/peer-ocsp.der"
    fi
fi

# ---- 4. scale: 1,000,000 certificates, 100,000 revoked ------------------------------------------

# load_scale DIR PG_URL: bulk-inserts the data set straight into gzca's tables (the p256 issuing
# CA's certificates; every (N/R)th revoked, with its revocations row), records the load time.
load_scale() {
    local dir=$1 url=$2 key=$3 n=$BENCH_SCALE_CERTS r=$BENCH_SCALE_REVOKED now
    now=$(date +%s)
    local iid
    iid=$(sql_count "$dir" "$url" "SELECT id FROM issuers WHERE name = 'p256-issuing'")
    [ -n "$iid" ] || die "no p256-issuing issuer in $dir"
    local t0 first
    first=$(($(sql_count "$dir" "$url" "SELECT COALESCE(MAX(id), 0) FROM certificates") + 1))
    t0=$(now_ms)
    # Serials: 16 random octets, first octet 0x50..0x5f (positive, no leading zero), lower-case
    # hex as gzca stores them. Revoked: rows where (i * r) mod n < r, i.e. evenly spread.
    if [ -z "$url" ]; then
        sqlite3 -bail "$dir/gzca.db" >"$logs/$key-load.log" 2>&1 <<EOF || die "bulk load failed: $(tail -5 "$logs/$key-load.log")"
PRAGMA cache_size = -400000;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $n)
INSERT INTO certificates (issuer_id, serial, status, profile, subject, key_algorithm, spki_sha256,
    not_before, not_after, der, revoked_at, revocation_reason, created_at, updated_at)
SELECT $iid, '5' || substr(lower(hex(randomblob(16))), 2),
    CASE WHEN (i * $r) % $n < $r THEN 'revoked' ELSE 'issued' END,
    'sign', 'C=CN, O=bench, CN=subscriber ' || i, 'ecdsa-p256', lower(hex(randomblob(32))),
    $now - 86400, $now + 365 * 86400, randomblob($BENCH_SCALE_DER_BYTES),
    CASE WHEN (i * $r) % $n < $r THEN $now - 3600 END,
    CASE WHEN (i * $r) % $n < $r THEN 1 END,
    $now - 86400, $now - 86400
FROM n;
INSERT INTO revocations (issuer_id, serial, revoked_at, reason)
SELECT issuer_id, serial, revoked_at, revocation_reason FROM certificates
WHERE issuer_id = $iid AND status = 'revoked';
COMMIT;
ANALYZE;
PRAGMA wal_checkpoint(TRUNCATE);
EOF
    else
        psql -q -v ON_ERROR_STOP=1 "$url" >"$logs/$key-load.log" 2>&1 <<EOF || die "bulk load failed: $(tail -5 "$logs/$key-load.log")"
BEGIN;
INSERT INTO certificates (issuer_id, serial, status, profile, subject, key_algorithm, spki_sha256,
    not_before, not_after, der, revoked_at, revocation_reason, created_at, updated_at)
SELECT $iid, '5' || substr(md5(i::text || ':$now'), 2),
    CASE WHEN (i::bigint * $r) % $n < $r THEN 'revoked' ELSE 'issued' END,
    'sign', 'C=CN, O=bench, CN=subscriber ' || i, 'ecdsa-p256', md5(i::text) || md5(i::text || 's'),
    $now - 86400, $now + 365 * 86400,
    substring(decode(repeat(md5(i::text), ($BENCH_SCALE_DER_BYTES + 15) / 16), 'hex')
              for $BENCH_SCALE_DER_BYTES),
    CASE WHEN (i::bigint * $r) % $n < $r THEN $now - 3600 END,
    CASE WHEN (i::bigint * $r) % $n < $r THEN 1 END,
    $now - 86400, $now - 86400
FROM generate_series(1, $n) AS i;
INSERT INTO revocations (issuer_id, serial, revoked_at, reason)
SELECT issuer_id, serial, revoked_at, revocation_reason FROM certificates
WHERE issuer_id = $iid AND status = 'revoked';
COMMIT;
VACUUM ANALYZE;
CHECKPOINT;
EOF
    fi
    record "$key.load_s" "$(( ($(now_ms) - t0) ))e-3"
    record "$key.certs" "$(sql_count "$dir" "$url" "SELECT COUNT(*) FROM certificates WHERE issuer_id = $iid")"
    record "$key.revoked" "$(sql_count "$dir" "$url" "SELECT COUNT(*) FROM revocations WHERE issuer_id = $iid")"
    # The look-up pool: serials of random rows of the data set (issued and revoked alike), picked
    # by id so that no scan of the table is needed.
    if [ -z "$url" ]; then
        sqlite3 "$dir/gzca.db" "WITH RECURSIVE k(j) AS (SELECT 1 UNION ALL SELECT j + 1 FROM k WHERE j < $BENCH_POOL)
            SELECT serial FROM certificates WHERE id IN (SELECT $first + abs(random()) % $n FROM k)" >"$dir/pool-serials.txt"
    else
        psql -Atq "$url" -c "SELECT serial FROM certificates WHERE id IN
            (SELECT $first + floor(random() * $n)::bigint FROM generate_series(1, $BENCH_POOL))" >"$dir/pool-serials.txt"
    fi
    record "$key.pool" "$(grep -c . "$dir/pool-serials.txt" || true)"
    # The status query alone, in the database, for the same serials.
    python3 "$bench_dir/query_latency.py" "$([ -z "$url" ] && echo sqlite || echo pg)" \
        "${url:-$dir/gzca.db}" "$iid" "$dir/pool-serials.txt" "$key" >>"$results" ||
        die "timing the status query failed"
}

scale_run() {  # scale_run KEY PG_URL
    local key=$1 url=$2 dir=$work/$1
    mkdir -p "$dir"
    write_gzca_config "$dir" "$url"
    log "$key: hierarchy p256 and $BENCH_SCALE_CERTS certificates ($BENCH_SCALE_REVOKED revoked)"
    "$gzca" --data-dir "$dir" ca init --name p256 --algorithm ecdsa-p256 >"$logs/$key-init.log" 2>&1 ||
        die "ca init failed: $(tail -3 "$logs/$key-init.log")"
    load_scale "$dir" "$url" "$key"
    log "$key: loaded in $(grep "^$key.load_s" "$results" | cut -f2)s; CRL of $BENCH_SCALE_REVOKED entries"

    local t0 t1
    t0=$(now_ms)
    "$gzca" --data-dir "$dir" crl --issuer p256 --out "$dir/p256.crl" >"$logs/$key-crl.log" 2>&1 ||
        die "gzca crl failed: $(tail -3 "$logs/$key-crl.log")"
    t1=$(now_ms)
    record "$key.crl_s" "$((t1 - t0))e-3"
    record "$key.crl_entries" "$(openssl crl -inform DER -in "$dir/p256.crl" -noout -text 2>/dev/null | grep -c 'Serial Number:' || true)"
    record "$key.crl_bytes" "$(stat -c %s "$dir/p256.crl")"

    gz_token=""
    start_gzca "$dir"
    record_memory "$key.start" "$gz_pid"
    # The server signs its own CRLs on start (the revocations are new to it); let that finish so
    # the look-ups are measured alone. Its memory high-water mark keeps the cost.
    local iid i
    iid=$(sql_count "$dir" "$url" "SELECT id FROM issuers WHERE name = 'p256-issuing'")
    for ((i = 0; i < 600; i++)); do
        [ "$(sql_count "$dir" "$url" "SELECT COUNT(*) FROM crls WHERE issuer_id = $iid")" -ge 2 ] && break
        sleep 0.1
    done
    record_memory "$key.after_crl" "$gz_pid"

    "$gzca" --data-dir "$dir" ca cert p256-issuing >"$dir/issuing.pem"
    local template=5aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
    openssl ocsp -issuer "$dir/issuing.pem" -serial "0x$template" -reqout "$dir/nonce.der" >/dev/null 2>&1
    python3 "$bench_dir/ocsp_pool.py" "$dir/nonce.der" "$template" "$dir/pool-serials.txt" \
        "$dir/pool-nonce.hex" || die "making the OCSP request pool failed"
    # With a nonce gzca never answers from its cache: every request is a database look-up (and a
    # signature). Light load, so that the latency is the service time, not queueing.
    bench_wrk "$key.lookup" "$gz_pid" "$(pg_pids)" 1 "$BENCH_LOOKUP_CONNECTIONS" \
        "http://127.0.0.1:$gz_http/ocsp" -- pool "$dir/pool-nonce.hex" application/ocsp-request
    # Issuance into the full database, same load as part 1.
    issue_body "$mat/p256.csr" p256 "$dir/issue.json"
    bench_wrk "$key.issue" "$gz_pid" "$(pg_pids)" "$BENCH_THREADS" "$BENCH_CONNECTIONS" \
        "https://127.0.0.1:$gz_https/api/v1/certificates" -- \
        body "$dir/issue.json" application/json "Bearer $gz_token"
    stop_gzca "$key.end"
    if [ -z "$url" ]; then
        record "$key.db_mb" "$(($(stat -c %s "$dir/gzca.db") / 1048576))"
    else
        record "$key.db_mb" "$(psql -Atq "$url" -c 'SELECT pg_database_size(current_database()) / 1048576')"
    fi
}

if part scale; then
    scale_run scale_sqlite ""
    if [ "$pg_ok" = 1 ]; then
        "$pg_bin/createdb" -h "$pg_dir" -U gzca gzca_scale
        scale_run scale_pg "$(pg_url gzca_scale)"
    fi
fi

# ---- the table -----------------------------------------------------------------------------------

record total_s "$(($(date +%s) - started))"
mkdir -p "$bench_dir/results"
python3 "$bench_dir/report.py" "$results" "$bench_dir/results/latest.md"
log "done in $(($(date +%s) - started)) s; markdown copy: bench/results/latest.md"
