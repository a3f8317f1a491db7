#!/usr/bin/env bash
# The benchmark suite, one command: builds release, runs Swift, raw C++ and Python side by side, and writes
# docs/benchmarks.md with its plots (docs/benchmarks-*.svg). About 8-10 minutes on 2 cores.
#
#   bench/run.sh                  # full suite (3 repeats)
#   BENCH_QUICK=1 bench/run.sh    # one short repeat, to check the suite itself
#   BENCH_REPORT_ONLY=1 bench/run.sh   # rewrite the report from bench/out/results.json
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
g++ -O2 -std=c++17 -o bench/out/raw_loop bench/raw_loop.cpp -ldl -pthread

python3 bench/suite.py "$binary" "$root/bench/out/raw_loop" "$python"
