#!/usr/bin/env bash
# The server benchmark: `paddle-swift serve` vs a FastAPI + uvicorn server with `paddle.inference` (py_server.py),
# same pool size (2) and 1 engine thread per predictor, both loaded by wrk (infer.lua) on 127.0.0.1 only. Writes
# bench/out/server.json; bench/suite.py turns it into section 5 of docs/benchmarks.md. About 5-6 minutes on 2 cores
# (BENCH_QUICK=1: about 2).
#
#   bench/server/run.sh [PADDLE_SWIFT_BINARY]     # default: the release build of bench/build-swift.sh
#
# Sets up, idempotently: wrk (Debian package, installed when missing) and the comparison server's venv
# .paddle/venv-server-bench (paddlepaddle 3.3.1 from the wheel in .paddle/downloads + requirements.txt).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"
mkdir -p bench/out

log() { printf '[server-bench] %s\n' "$*" >&2; }

[[ -f .paddle/runtime/paddle/base/libpaddle.so ]] || { log "run scripts/setup.sh first"; exit 1; }
[[ -d .fixtures/models/mlp_tiny_pdmodel ]] || {
    log "the tiny model is missing: bash scripts/setup-oracle.sh && .paddle/venv-oracle/bin/python scripts/oracle/make_fixtures.py"
    exit 1; }

if ! command -v wrk >/dev/null; then
    log "installing wrk (Debian)"
    if ! apt-get install -y -q wrk >/dev/null 2>&1; then
        apt-get update -q >/dev/null && apt-get install -y -q wrk >/dev/null
    fi
fi

venv=.paddle/venv-server-bench
wheel=.paddle/downloads/paddlepaddle-3.3.1-cp311-cp311-manylinux1_x86_64.whl
stamp_value=$(cat "$here/requirements.txt" | sha256sum | cut -d' ' -f1)
if [[ ! -x $venv/bin/python || "$(cat $venv/.stamp 2>/dev/null)" != "$stamp_value" ]]; then
    [[ -f $wheel ]] || { log "$wheel is missing: run scripts/setup.sh"; exit 1; }
    python=${PYTHON:-python3.11}
    log "making $venv (paddlepaddle wheel + FastAPI/uvicorn pins)"
    rm -rf "$venv"
    "$python" -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check "$wheel" -r "$here/requirements.txt"
    echo "$stamp_value" >"$venv/.stamp"
fi

binary=${1:-}
if [[ -z $binary ]]; then
    log "building the release binary"
    binary=$(bench/build-swift.sh)
fi
"$binary" serve --help >/dev/null 2>&1 || {
    log "$binary has no serve subcommand (not a paddle-swift build?)"
    exit 1; }

# The raw C++ loop on the same engine (bench/raw_loop.cpp): the PP-OCRv4 rec target compares the server with it,
# measured in the same run.
bench/build-raw-loop.sh >/dev/null

exec python3 "$here/server_bench.py" "$binary" "$root/$venv/bin/python"
