#!/usr/bin/env bash
# OCR servers under load (section 6 of docs/benchmarks.md): `paddle-swift serve` (POST /v1/ocr, or /v1/waybill with
# --path) against rapidocr-api 0.2.0 and RapidOCR (rapidocr-paddle 1.4.5, rapidocr-onnxruntime 1.4.4) behind
# FastAPI/uvicorn with 2 workers, at 1, 4 and 8 connections, the 12 images of ../shared/ocr cycled, interleaved
# rounds, medians (bench/ocr-server/server_bench.py). Writes bench/out/ocr-server.json; bench/suite.py renders it.
# Then the single-image comparison of bench/ocr (paddle-swift ocr vs RapidOCR-paddle and rapidocr-onnxruntime),
# unless OCR_SERVER_ONLY=1. Runs under `flock /tmp/paddle-bench.lock` (one benchmark at a time on the machine).
# About 15 minutes on 2 idle cores with one paddle-swift build (each more: about 3 minutes).
#
#   bench/ocr-server/run.sh [NAME=BINARY ...] [-- server_bench.py options, e.g. --path /v1/waybill --rounds 3]
#
# Default binary: the release build of bench/build-swift.sh, named `swift`. Several builds (say the one before a
# change and the one after) are measured in the same run: `before=/tmp/paddle-swift-ocr-before after=.build/release/paddle-swift`.
# serve options may follow the binary, joined by `+`: `swift2x1=BINARY+--ocr-pool-size+2+--ocr-threads+1`. The
# single-image comparison uses the last build.
#
# Sets up, idempotently, the peers' venv .paddle/venv-ocr-server-bench (paddlepaddle 3.3.1 from the wheel in
# .paddle/downloads + requirements.txt, pinned).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"
mkdir -p bench/out

log() { printf '[ocr-server-bench] %s\n' "$*" >&2; }

home=${PADDLE_SWIFT_HOME:-$root/.paddle}
[[ -d $home/models/ppocrv4 ]] || { log "the PP-OCR models are missing in $home: run scripts/setup.sh"; exit 1; }
[[ -d $root/../shared/ocr/images ]] || { log "../shared/ocr/images is missing"; exit 1; }
command -v taskset >/dev/null || { log "taskset (util-linux) is missing"; exit 1; }

venv=.paddle/venv-ocr-server-bench
wheel=$home/downloads/paddlepaddle-3.3.1-cp311-cp311-manylinux1_x86_64.whl
stamp_value=$(sha256sum <"$here/requirements.txt" | cut -d' ' -f1)
if [[ ! -x $venv/bin/python || "$(cat $venv/.stamp 2>/dev/null)" != "$stamp_value" ]]; then
    [[ -f $wheel ]] || { log "$wheel is missing: run scripts/setup.sh"; exit 1; }
    python=${PYTHON:-python3.11}
    log "making $venv (paddlepaddle wheel + the peers' pins)"
    rm -rf "$venv"
    "$python" -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check "$wheel" -r "$here/requirements.txt"
    # rapidocr 3.x pulls in opencv-python-headless: keep it and opencv-python at the same pinned build.
    "$venv/bin/pip" install -q --disable-pip-version-check --force-reinstall --no-deps \
        "$(grep '^opencv-python-headless==' "$here/requirements.txt" | cut -d' ' -f1)" \
        "$(grep '^opencv-python==' "$here/requirements.txt")"
    echo "$stamp_value" >"$venv/.stamp"
fi

builds=()
while [[ $# -gt 0 && $1 != -- ]]; do builds+=("--swift" "$1"); shift; done
[[ ${1:-} == -- ]] && shift
if [[ ${#builds[@]} -eq 0 ]]; then
    log "building the release binary"
    builds=("--swift" "swift=$(bench/build-swift.sh)")
fi

export PADDLE_SWIFT_HOME=$home
exec flock /tmp/paddle-bench.lock bash -c '
    set -euo pipefail
    python3 "$0" --venv "$1" "${@:3}"
    if [[ ${OCR_SERVER_ONLY:-0} != 1 ]]; then
        binary=${2#*=}; binary=${binary%%+*}
        ocr_args=(--repeat 5 --rounds 2); [[ ${BENCH_QUICK:-0} == 1 ]] && ocr_args=(--repeat 2 --rounds 1)
        PADDLE_INFERENCE_DIR=${PADDLE_INFERENCE_DIR:-$PADDLE_SWIFT_HOME/runtime} \
            python3 bench/ocr/ocr_bench.py "$binary" "$1" "${ocr_args[@]}"
    fi
' "$here/server_bench.py" "$root/$venv/bin/python" "${builds[-1]}" "${builds[@]}" "$@"
