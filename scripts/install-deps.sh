#!/usr/bin/env bash
# Installs the Debian packages gzca needs to build, run and test — only those missing.
# Safe to rerun. Usage: scripts/install-deps.sh [build|test|bench]
#   build: what `make run` needs; test: also validators, PostgreSQL, SoftHSM2, fuzz toolchain;
#   bench: also the load generator and the peers measured beside gzca (bench/run.sh).
set -euo pipefail
mode=${1:-build}

build_pkgs=(
    g++ cmake ninja-build ccache pkg-config make
    libssl-dev openssl
    libboost1.81-dev
    libexpected-dev libfmt-dev libspdlog-dev libcli11-dev libtomlplusplus-dev nlohmann-json3-dev
    libsqlite3-dev libpq-dev
    libengine-pkcs11-openssl libp11-kit-dev
    libcairo2-dev libpango1.0-dev libqrencode-dev fonts-noto-cjk fonts-wqy-microhei
    libzip-dev libexpat1-dev libsodium-dev libcurl4-openssl-dev
)
test_pkgs=(
    googletest libgtest-dev libgmock-dev libbenchmark-dev
    postgresql sqlite3
    gnutls-bin libnss3-tools python3 python3-cryptography
    softhsm2 opensc
    clang libclang-rt-14-dev
    curl
    poppler-utils chromium
)

bench_pkgs=(wrk golang-cfssl iproute2 util-linux procps)

pkgs=("${build_pkgs[@]}")
case "$mode" in
    build) ;;
    test) pkgs+=("${test_pkgs[@]}") ;;
    bench) pkgs+=("${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
    *) echo "usage: $0 [build|test|bench]" >&2; exit 2 ;;
esac

missing=()
# Browser tests need Node.js with npm. This machine image may carry its own Node.js (which
# bundles npm and conflicts with Debian's npm package): only ask Debian when none is there.
if [ "$mode" != build ]; then
    command -v node >/dev/null || pkgs+=(nodejs)
    command -v npm >/dev/null || pkgs+=(npm)
fi
for p in "${pkgs[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [ "$status" = "install ok installed" ] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "install-deps: installing ${missing[*]}"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -q
    $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# ---- Browser tests (tests/browser): npm packages, test and bench modes only. -----------------
# `npm ci` when tests/browser/node_modules is missing or package-lock.json changed; see
# tests/browser/ensure-deps.sh.
if [ "$mode" != build ]; then
    "$(dirname "$0")/../tests/browser/ensure-deps.sh"
fi
