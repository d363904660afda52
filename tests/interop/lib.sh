# Shared helpers for the interop shell tests. Source it; then call setup_db.
# Every check prints one line; the first failure ends the test with a non-zero exit.
set -euo pipefail

PY=/usr/bin/python3   # Debian's python3 with python3-cryptography, not a user's pyenv
checks=0

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { checks=$((checks + 1)); echo "ok $checks - $*"; }

# expect_fail DESCRIPTION PATTERN CMD...: CMD must exit non-zero and print PATTERN on stderr.
expect_fail() {
    local what=$1 pattern=$2; shift 2
    local err
    if err=$("$@" 2>&1 >/dev/null); then fail "$what: succeeded but should have failed"; fi
    grep -qiE -- "$pattern" <<<"$err" || fail "$what: error '$err' does not match /$pattern/"
    if grep -qiE 'error:[0-9a-f]{8}|sqlite|SELECT |INSERT |UPDATE ' <<<"$err"; then
        fail "$what: error leaks library text: $err"
    fi
    ok "$what (refused: $(head -n1 <<<"$err"))"
}

# setup_db KIND: exports GZCA_CONFIG pointing at a config for SQLite (data dir) or a fresh
# PostgreSQL schema in $GZCA_TEST_PG_URL.
setup_db() {
    local kind=$1
    WORK=$(mktemp -d /tmp/gzca_interop.XXXXXX)
    trap 'cleanup_db' EXIT
    DATA=$WORK/var
    mkdir -p "$DATA"
    CONFIG=$WORK/gzca.toml
    if [ "$kind" = postgres ]; then
        [ -n "${GZCA_TEST_PG_URL:-}" ] || fail "GZCA_TEST_PG_URL not set (run via scripts/run-tests.sh)"
        SCHEMA="it_$$_$RANDOM"
        psql -q "$GZCA_TEST_PG_URL" -c "CREATE SCHEMA $SCHEMA" >/dev/null
        local sep='?'
        [[ "$GZCA_TEST_PG_URL" == *\?* ]] && sep='&'
        printf '[database]\nurl = "%s%soptions=-csearch_path%%3D%s"\n' \
            "$GZCA_TEST_PG_URL" "$sep" "$SCHEMA" >"$CONFIG"
    else
        SCHEMA=""
        : >"$CONFIG"
    fi
    printf '[ca]\nbase_url = "http://ca.test:8080"\npolicy_oids = ["1.2.156.112570.1.1.1"]\n' >>"$CONFIG"
    export GZCA_CA_PASSPHRASE="interop test passphrase"
}

cleanup_db() {
    if [ -n "${SCHEMA:-}" ]; then
        psql -q "$GZCA_TEST_PG_URL" -c "DROP SCHEMA $SCHEMA CASCADE" >/dev/null 2>&1 || true
    fi
    rm -rf "$WORK"
}

# gz ARGS...: runs gzca on the test's data directory and configuration.
gz() { "$GZCA" --data-dir "$DATA" --config "$CONFIG" "$@"; }

json_field() { $PY -c "import json,sys; print(json.load(sys.stdin)$1)"; }

# Fingerprint of everything a failed command must not change: rows and key files.
state() {
    gz cert list --json --limit 100000 | sha256sum
    find "$DATA" -name '*.pem' -type f -exec sha256sum {} + | sort
}
