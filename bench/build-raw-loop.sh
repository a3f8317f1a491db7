#!/usr/bin/env bash
# Builds bench/out/raw_loop (the raw C++ baseline, bench/raw_loop.cpp) when it is missing or older than its source,
# and prints its path. Used by bench/run.sh and bench/server/run.sh.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/bench/out/raw_loop"
mkdir -p "$root/bench/out"
if [[ ! -x $out || $root/bench/raw_loop.cpp -nt $out ]]; then
    echo "bench: building bench/out/raw_loop" >&2
    g++ -O2 -std=c++17 -o "$out" "$root/bench/raw_loop.cpp" -ldl -pthread
fi
echo "$out"
