#!/usr/bin/env bash
# Two builds of `paddle-swift serve` side by side (bench/server/ab.py), under the benchmark lock:
#   bench/server/ab.sh BEFORE_BINARY [AFTER_BINARY]    # AFTER defaults to this checkout's release build
# About 6 minutes with the defaults (5 rounds, 4 s per point).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
command -v wrk >/dev/null || { apt-get install -y -q wrk >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q wrk >/dev/null; }; }
before=$1
after=${2:-$(bench/build-swift.sh)}
flock /tmp/paddle-bench.lock python3 bench/server/ab.py "$before" "$after" "${@:3}"
