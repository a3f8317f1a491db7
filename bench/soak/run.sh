#!/usr/bin/env bash
# Soak: the release `paddle-swift serve` at saturation for SOAK_MINUTES (default 30) with a repository change every
# 20 s, then SIGTERM under load; checks memory, threads, files, failures and the drain (bench/soak/soak.py).
#   bench/soak/run.sh                          # 30 minutes, report in docs/soak.md (+ docs/soak.svg)
#   SOAK_MINUTES=3 bench/soak/run.sh --out bench/out/soak-ci   # what CI runs (no report)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
[ -x .build/release/paddle-swift ] || swift build -c release --product paddle-swift
if [ $# -eq 0 ]; then set -- --report docs/soak.md; fi
exec python3 bench/soak/soak.py "$@"
