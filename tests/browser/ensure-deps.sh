#!/usr/bin/env bash
# Installs tests/browser's npm packages (playwright-core, pinned by package-lock.json) with
# `npm ci` when node_modules is missing or package-lock.json changed since the last install
# (npm keeps a copy of the lock it installed as node_modules/.package-lock.json). Otherwise does
# nothing. Called by scripts/install-deps.sh test and, as a fallback, by run.sh.
set -euo pipefail
cd "$(dirname "$0")"
if [ -d node_modules/playwright-core ] && [ -f node_modules/.package-lock.json ] &&
    ! [ package-lock.json -nt node_modules/.package-lock.json ]; then
    exit 0
fi
command -v npm >/dev/null || { echo "ensure-deps: npm not found (scripts/install-deps.sh test)" >&2; exit 1; }
echo "tests/browser: npm ci"
npm ci --no-audit --no-fund --loglevel=error
