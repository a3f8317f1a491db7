#!/usr/bin/env bash
# Load time up to the first answer, with and without Config.optimizationCache, interleaved in one process per model
# (issue 15, "Fast loads"): `paddle-bench load-cache` (Sources/PaddleBench/LoadCache). One command:
#
#   bench/load-cache/run.sh            # builds (release), then runs under /tmp/paddle-bench.lock
#
# Models: the tiny MLP of the oracle fixtures (ProgramDesc with oneDNN, and PIR .json), and PP-OCRv4 rec.
# Results: bench/out/load-cache/*.json (with every sample) and a Markdown table on stdout (copied by hand into
# docs/model-loading.md). Wall-time p50s and their ratio are the targets; the process CPU time per load is given
# too, as it is not inflated when other jobs preempt the benchmark on a busy machine.
# Env: PADDLE_SWIFT_HOME (runtime + models, default .paddle), PADDLE_SWIFT_FIXTURES (default .fixtures),
#      ROUNDS_TINY (default 41), ROUNDS_REC (default 7).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
home="${PADDLE_SWIFT_HOME:-$root/.paddle}"
fixtures="${PADDLE_SWIFT_FIXTURES:-$root/.fixtures}"
out="$root/bench/out/load-cache"
mkdir -p "$out"

echo "building paddle-bench (release)" >&2
bin=$("$root/bench/build-swift.sh" paddle-bench)
bin=("$bin" load-cache)

export PADDLE_SWIFT_HOME="$home"
run() {  # name, model, rounds, [shape], [memory optimisation on|off|default]
    local name="$1" model="$2" rounds="$3" shape="${4:-}" memory="${5:-default}"
    local args=(--model "$model" --rounds "$rounds" --cache "$out/cache-$name" --memory-optim "$memory")
    [[ -n "$shape" ]] && args+=(--shape "$shape")
    rm -rf "$out/cache-$name"
    echo "running $name ($rounds interleaved rounds)" >&2
    flock /tmp/paddle-bench.lock "${bin[@]}" "${args[@]}" >"$out/$name.json"
    rm -rf "$out/cache-$name"
}
run tiny_pdmodel "$fixtures/models/mlp_tiny_pdmodel" "${ROUNDS_TINY:-41}"
# The same with memory optimisation off: a hit then takes the engine's UseOptimizedModel path (no graph at all).
run tiny_pdmodel_memopt_off "$fixtures/models/mlp_tiny_pdmodel" "${ROUNDS_TINY:-41}" "" off
run tiny_json "$fixtures/models/mlp_tiny_json" "${ROUNDS_TINY:-41}"
run ppocrv4_rec "$home/models/ppocrv4/ch_PP-OCRv4_rec_infer" "${ROUNDS_REC:-7}" 1x3x48x320

# Processes racing to store the same entry: 4 first loads at once on an empty folder, then a fifth load that must
# hit. Every load must answer like a normal load.
race="$out/cache-race"
rm -rf "$race"
flock /tmp/paddle-bench.lock bash -c '
    for i in 1 2 3 4; do "$0" load-cache --model "$1" --cache "$2" --once >"$2.$i.txt" & done; wait
    "$0" load-cache --model "$1" --cache "$2" --once >"$2.5.txt"' "${bin[0]}" "$fixtures/models/mlp_tiny_pdmodel" "$race"
race_result="$(for i in 1 2 3 4 5; do echo "$i: $(cat "$race.$i.txt")"; done | tr '\n' ';')"
rm -rf "$race" "$race".*.txt
echo "race: $race_result" >&2

{
    echo "Run: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "CPU flags: $(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx2|avx512f|avx512_vnni|avx512_bf16|amx_tile)$' | tr '\n' ' ')"
    echo
    echo "| model | format, options | weights+program | without cache p50 | with cache p50 | ratio | CPU time without / with | CPU ratio | create without / with | first run without / with | first load in process | storing load | first key hashing | outputs identical |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    for name in tiny_pdmodel tiny_pdmodel_memopt_off tiny_json ppocrv4_rec; do
        python3 - "$out/$name.json" "$name" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); n = sys.argv[2]
print(f"| {n} | {r['format']}, oneDNN {'on' if r['onednn'] else 'off'}, memory optim {'on' if r['memory_optim'] else 'off'} | {r['model_bytes']/1e6:.2f} MB | "
      f"{r['without_cache_first_answer_p50_ms']:.2f} ms | {r['with_cache_first_answer_p50_ms']:.2f} ms | "
      f"**{r['ratio']:.3f}x** | {r['without_cache_cpu_p50_ms']:.2f} / {r['with_cache_cpu_p50_ms']:.2f} ms | "
      f"{r['cpu_ratio']:.3f}x | {r['without_cache_create_p50_ms']:.2f} / {r['with_cache_create_p50_ms']:.2f} ms | "
      f"{r['without_cache_run_p50_ms']:.2f} / {r['with_cache_run_p50_ms']:.2f} ms | {r['first_load_in_process_ms']:.1f} ms | "
      f"{r['store_load_ms']:.1f} ms | {r['key_hash_ms']:.2f} ms | {r['outputs_identical']} |")
PY
    done
    echo
    echo "Racing processes (4 first loads at once on an empty folder, then a fifth): $race_result"
} | tee "$out/summary.md"
