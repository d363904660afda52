#!/usr/bin/env bash
# The test driver behind `make test`: starts a throwaway PostgreSQL, runs every CTest test
# against it (tests also cover SQLite on their own), stops it and exits with ctest's status.
#
# Usage: scripts/run-tests.sh [BUILD_DIR] [extra ctest arguments, e.g. -R store]
#
# The server listens on a Unix socket in a fresh temporary directory only (no TCP port, so it
# cannot clash with another server or another run), with fsync off: it is thrown away on exit,
# also on failure or Ctrl-C. Tests get it as GZCA_TEST_PG_URL; PostgreSQL tests fail (not skip)
# without it. As root, the server runs as the unprivileged `postgres` user, since initdb and
# postgres refuse to run as root.
set -euo pipefail

build_dir=${1:-build}
if [ $# -gt 0 ]; then shift; fi
if [ ! -d "$build_dir" ]; then
    echo "run-tests: build directory '$build_dir' not found; build first (make build)" >&2
    exit 2
fi

# PostgreSQL server binaries: $PG_BIN, else the newest /usr/lib/postgresql/*/bin.
pg_bin=${PG_BIN:-}
if [ -z "$pg_bin" ]; then
    for candidate in /usr/lib/postgresql/*/bin; do
        [ -x "$candidate/initdb" ] && pg_bin=$candidate
    done
fi
if [ -z "$pg_bin" ] || [ ! -x "$pg_bin/initdb" ]; then
    echo "run-tests: PostgreSQL server binaries not found (install 'postgresql' or set PG_BIN)" >&2
    exit 2
fi

# Commands that touch the server's files run as this user (empty: the current user).
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
    pg_user=postgres
    if ! id -u "$pg_user" >/dev/null 2>&1; then
        pg_user=gzca-test-pg
        id -u "$pg_user" >/dev/null 2>&1 ||
            useradd --system --no-create-home --shell /usr/sbin/nologin "$pg_user"
    fi
    as_pg=(runuser -u "$pg_user" --)
fi

# Under /tmp, not $TMPDIR: the socket path must stay short (about 100 bytes at most) and the
# directory reachable by the server's user.
pg_dir=$(mktemp -d /tmp/gzca-pg.XXXXXX)
pg_data=$pg_dir/data
pg_log=$pg_dir/server.log
server_started=0

# shellcheck disable=SC2317  # invoked by the trap below
cleanup() {
    local status=$?
    trap - EXIT INT TERM
    if [ "$server_started" -eq 1 ]; then
        "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$pg_dir"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ ${#as_pg[@]} -gt 0 ]; then
    chown "$pg_user:" "$pg_dir"
fi

echo "run-tests: starting a throwaway PostgreSQL in $pg_dir"
"${as_pg[@]}" "$pg_bin/initdb" -D "$pg_data" -A trust -U gzca -E UTF8 --no-locale --no-sync \
    >"$pg_dir/initdb.log" 2>&1 || {
    cat "$pg_dir/initdb.log" >&2
    echo "run-tests: initdb failed" >&2
    exit 1
}
server_started=1
"${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_data" -l "$pg_log" -w -t 60 \
    -o "-k $pg_dir -c listen_addresses='' -c fsync=off -c max_connections=200" start >/dev/null || {
    cat "$pg_log" >&2
    echo "run-tests: PostgreSQL did not start" >&2
    exit 1
}
"$pg_bin/createdb" -h "$pg_dir" -U gzca gzca_test

# libpq URI: an absolute path as host selects the Unix-socket directory.
export GZCA_TEST_PG_URL="postgresql:///gzca_test?host=$pg_dir&user=gzca"
unset GZCA_TEST_ALLOW_NO_PG

status=0
ctest --test-dir "$build_dir" --output-on-failure -j2 "$@" || status=$?

if [ "$status" -eq 0 ]; then
    echo "run-tests: PASSED (SQLite and PostgreSQL)"
else
    echo "run-tests: FAILED (ctest exit status $status)"
fi
exit "$status"
