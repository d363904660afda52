#!/usr/bin/env bash
# Crash safety of `gzca serve`: an issuance load, SIGKILL mid-load, restart (RecoverPending),
# then the durability contract of src/ca/authority.h checked in the database, through the CLI
# and through OCSP. Usage: crash_test.sh GZCA_BINARY sqlite|postgres
# PostgreSQL comes from scripts/run-tests.sh as GZCA_TEST_PG_URL (a fresh schema per run).
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 GZCA_BINARY sqlite|postgres" >&2; exit 2; }
# Debian's python3 with python3-cryptography, not a user's pyenv.
exec /usr/bin/python3 "$(dirname "$0")/crash_test.py" "$1" "$2"
