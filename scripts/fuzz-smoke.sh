#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) in their own build directory and runs
# each for a few seconds from its seed corpus. Called by CTest (tests/CMakeLists.txt).
# Usage: scripts/fuzz-smoke.sh SOURCE_DIR FUZZ_BUILD_DIR SECONDS
set -euo pipefail
src=$1 build=$2 seconds=$3
if [ ! -f "$build/build.ninja" ]; then
    CC=clang CXX=clang++ cmake -S "$src" -B "$build" -G Ninja -DGZCA_FUZZ=ON -DGZCA_TESTS=OFF \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER_LAUNCHER=ccache >/dev/null
fi
cmake --build "$build" --target csr_fuzz
for target in csr; do
    out=$(mktemp -d)
    # New inputs go to $out; the checked-in seed corpus is only read.
    "$build/${target}_fuzz" -max_total_time="$seconds" -print_final_stats=1 "$out" \
        "$src/fuzz/corpus/$target" 2>&1 | tail -n 15
    status=${PIPESTATUS[0]}
    rm -rf "$out"
    [ "$status" -eq 0 ] || { echo "fuzz-smoke: ${target}_fuzz found a failure" >&2; exit 1; }
    echo "fuzz-smoke: ${target}_fuzz ran ${seconds}s without a finding"
done
