#!/usr/bin/env bash
# Shutdown stress: 300 start/stop cycles of `paddle-swift serve` with SIGTERM at random moments (while loading, at
# warm-up, idle, under load with dynamic batching and /v1/ocr, during a hot reload) and 100 SIGINT cycles of
# `paddle-swift ocr`. Every exit must be clean. Counts go to bench/out/shutdown/report.json; see docs/reliability.md.
#   bench/shutdown/run.sh [--cycles N] [--ocr-cycles M]      (CI runs --cycles 30 --ocr-cycles 10)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
[ -x .build/debug/paddle-swift ] || swift build --product paddle-swift
mkdir -p bench/out/shutdown
exec python3 bench/shutdown/shutdown_stress.py --report bench/out/shutdown/report.json "$@"
