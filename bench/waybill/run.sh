#!/usr/bin/env bash
# The waybill reader over the full generated set (200 images, seed 13), scored field by field (docs/waybill.md).
# Builds the release binary, generates the set if needed, runs `paddle-swift waybill --json` and
# `paddle-swift ocr --json --timings` (for the stage times) on every image, and prints the scores.
#   bench/waybill/run.sh [--count N] [--seed S]
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
out=$repo/bench/out/waybill
mkdir -p "$out"
set_dir=$repo/.waybills
if [ $# -gt 0 ]; then set_dir=$out/set; fi
tools/waybill-synth/run.sh --out "$set_dir" "$@"
swift build -c release --product paddle-swift >&2
bin=$(swift build -c release --show-bin-path)/paddle-swift
mapfile -t images < <(ls "$set_dir"/wb-*.jpg)
flock /tmp/paddle-bench.lock bash -c '
  "$1" waybill --json --threads 2 "${@:4}" > "$2/waybill.jsonl"
  "$1" ocr --json --timings --threads 2 "${@:4}" | grep "^{\"timings\"" > "$2/ocr-timings.jsonl" || true
' _ "$bin" "$out" unused "${images[@]}"
python3 bench/waybill/score.py "$set_dir" "$out/waybill.jsonl" --timings "$out/ocr-timings.jsonl" | tee "$out/score.md"
