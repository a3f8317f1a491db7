#!/usr/bin/env bash
# JSON decoding micro-benchmark, one command: paddle-swift's JSONParser (InferenceRequest.decode) against
# Foundation's JSONSerialization and JSONDecoder on KServe v2 infer request bodies of 1 KB, 100 KB and 10 MB
# (tritonclient's FP32 JSON `data`), parse only and body-to-tensors, medians of interleaved rounds.
# Release build (`paddle-bench json`, Sources/PaddleBench), run under the shared benchmark lock.
# Prints the machine and a Markdown table (for docs/benchmarks.md, "JSON decoding"); raw figures in
# bench/out/json.json. About 4 minutes after the build.
#
#   bench/json/run.sh                          # 15 rounds
#   bench/json/run.sh --rounds 5 --sample-ms 20   # a quick check of the benchmark itself
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
mkdir -p bench/out

echo "bench/json: building paddle-bench (release)" >&2
binary=$(bench/build-swift.sh paddle-bench)

cpu=$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
flags=$(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -xE 'avx2|avx512f|avx512bw|avx512_vnni|avx512_bf16|amx_tile' | tr '\n' ' ')
echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine: $cpu, $(nproc) cores, flags: ${flags% }; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "build: $(swift --version 2>/dev/null | head -1), release, tcmalloc"
echo
flock /tmp/paddle-bench.lock "$binary" json --json bench/out/json.json "$@"
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
