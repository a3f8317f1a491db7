#!/usr/bin/env bash
# The benchmark suite, one command: builds release, runs Swift, raw C++ and Python side by side, and writes
# docs/benchmarks.md with its plots (docs/benchmarks-*.svg); section 5 is the server benchmark (bench/server/run.sh,
# run first). About 15 minutes on 2 cores.
#
#   bench/run.sh                  # full suite (3 repeats)
#   BENCH_QUICK=1 bench/run.sh    # one short repeat, to check the suite itself
#   BENCH_REPORT_ONLY=1 bench/run.sh   # rewrite the report from bench/out/results.json (and server.json)
#   BENCH_SKIP_SERVER=1 bench/run.sh   # leave the server benchmark out (keeps an earlier bench/out/server.json)
#
# Needs: scripts/setup.sh done (runtime and models in .paddle/), g++, Python 3 with paddlepaddle 3.3.1 in
# .paddle/venv-oracle (scripts/setup-oracle.sh) or .paddle/venv-bench (made here from the wheel in
# .paddle/downloads), and the tiny model in .fixtures/ (scripts/oracle/make_fixtures.py).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
mkdir -p bench/out

[[ -f .paddle/runtime/paddle/base/libpaddle.so ]] || { echo "run scripts/setup.sh first" >&2; exit 1; }

python=""
for venv in .paddle/venv-oracle .paddle/venv-bench; do
    if [[ -x "$venv/bin/python" ]] && "$venv/bin/python" -c "import paddle" 2>/dev/null; then python="$root/$venv/bin/python"; break; fi
done
if [[ -z "$python" ]]; then
    wheel=$(ls .paddle/downloads/paddlepaddle-3.3.1-*.whl 2>/dev/null | head -1 || true)
    if [[ -n "$wheel" ]] && command -v python3.11 >/dev/null; then
        echo "bench: making .paddle/venv-bench from $wheel" >&2
        python3.11 -m venv .paddle/venv-bench && .paddle/venv-bench/bin/pip install -q "$wheel" && python="$root/.paddle/venv-bench/bin/python"
    else
        echo "bench: no Python with paddlepaddle 3.3.1; the Python rows will be left out" >&2
    fi
fi

if [[ ! -d .fixtures/models/mlp_tiny_pdmodel ]]; then
    [[ -n "$python" ]] || { echo "bench: the tiny model needs Python with paddle" >&2; exit 1; }
    echo "bench: writing the fixtures (tiny model) with scripts/oracle/make_fixtures.py" >&2
    "$python" scripts/oracle/make_fixtures.py >&2
fi

echo "bench: building release binaries" >&2
binary=$(bench/build-swift.sh)
raw_loop=$(bench/build-raw-loop.sh)

# 5. The server benchmark (bench/server/run.sh, about 5-6 minutes; BENCH_SKIP_SERVER=1 leaves it out and keeps
# an earlier bench/out/server.json in the report). It needs the package's own release build (`serve`).
# BENCH_SERVER_BINARY=PATH serves with another release build of paddle-swift.
server_binary=${BENCH_SERVER_BINARY:-$binary}
if [[ "${BENCH_REPORT_ONLY:-0}" != 1 && "${BENCH_SKIP_SERVER:-0}" != 1 ]]; then
    if "$server_binary" serve --help >/dev/null 2>&1; then
        bench/server/run.sh "$server_binary" || echo "bench: the server benchmark failed; section 5 keeps the last bench/out/server.json" >&2
    else
        echo "bench: $server_binary has no serve subcommand; section 5 keeps the last bench/out/server.json" >&2
    fi
fi

# 6. OCR seconds per image, paddle-swift ocr vs RapidOCR-paddle 1.4.5 (bench/ocr/, about 6 minutes; 2 with
# BENCH_QUICK) on the shared images in ../shared/ocr; RapidOCR runs in .paddle/venv-ocr-bench (made here from
# PyPI and the paddlepaddle wheel in .paddle/downloads). BENCH_SKIP_OCR=1 keeps an earlier bench/out/ocr.json.
if [[ "${BENCH_REPORT_ONLY:-0}" != 1 && "${BENCH_SKIP_OCR:-0}" != 1 ]]; then
    if [[ ! -d "$root/../shared/ocr/images" ]]; then
        echo "bench: ../shared/ocr is missing; section 6 (OCR) skipped" >&2
        rm -f bench/out/ocr.json
    elif ! "$binary" ocr --help 2>/dev/null | grep -q -- "--repeat"; then
        echo "bench: $binary has no ocr --repeat; section 6 keeps the last bench/out/ocr.json" >&2
    else
        ocr_python="$root/.paddle/venv-ocr-bench/bin/python"
        if ! "$ocr_python" -c "import rapidocr_paddle, rapidocr_onnxruntime, cv2" 2>/dev/null; then
            wheel=$(ls .paddle/downloads/paddlepaddle-3.3.1-*.whl 2>/dev/null | head -1 || true)
            echo "bench: making .paddle/venv-ocr-bench (rapidocr-paddle 1.4.5, $wheel)" >&2
            python3.11 -m venv .paddle/venv-ocr-bench && "$ocr_python" -m pip install -q -r bench/ocr/requirements.txt "$wheel" >&2
        fi
        if [[ "${BENCH_QUICK:-0}" == 1 ]]; then ocr_args=(--repeat 2 --rounds 1); else ocr_args=(--repeat 5 --rounds 2); fi
        python3 bench/ocr/ocr_bench.py "$binary" "$ocr_python" "${ocr_args[@]}" \
            || echo "bench: the OCR benchmark failed; section 6 keeps the last bench/out/ocr.json" >&2
    fi
fi

python3 bench/suite.py "$binary" "$raw_loop" "$python"
