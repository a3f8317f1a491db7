#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine: sets up the runtime, models and Python oracles, generates the
# test fixtures (small models plus Python paddle.inference outputs), then runs `swift test`.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

bash scripts/setup.sh
bash scripts/setup-oracle.sh
home=${PADDLE_SWIFT_HOME:-$repo/.paddle}
"$home/venv-oracle/bin/python" scripts/oracle/make_fixtures.py --out "$repo/.fixtures"
bash scripts/setup-client-tests.sh
# The synthetic waybill photos of the PaddleWaybill accuracy test (200 images, seed 13, into .waybills/; about 3 min
# the first time, seconds when the set is already there).
bash tools/waybill-synth/run.sh

swift build --build-tests
if [ $# -gt 0 ]; then
  exec swift test --skip-build "$@"
fi
# Tests that measure this process's memory (RSS) run afterwards, one at a time, so that no other test allocates
# beside them.
memory_tests='LifetimeTests|run_1000Runs_releaseEveryTensorAndKeepMemoryFlat|budget_residentSet_baseFromFirstLoadAndEstimateFloor'
swift test --skip-build --skip "$memory_tests"
swift test --skip-build --no-parallel --filter "$memory_tests"

client_tests="${CLIENT_TESTS_VENV:-$repo/.venv-client-tests}"
# The KServe v2 conformance suites, driven by the real tritonclient against the built `paddle-swift serve` over HTTP
# (tests/triton) and gRPC (tests/triton_grpc), and every curl line of README.md run as written.
# (Two runs: each suite has its own conftest.py, and tests/triton imports from its own by name.)
"$client_tests/bin/pytest" -q tests/triton tests/readme
# The same conformance over gRPC (tritonclient.grpc against `serve --grpc-port`); a separate run, since
# tests/triton imports its own conftest by name.
"$client_tests/bin/pytest" -q tests/triton_grpc
# The web page at / in a real browser: Debian's headless chromium driven by Playwright (both installed by
# scripts/setup-client-tests.sh) against `serve` with the PP-OCR models: a generated waybill uploaded and pasted,
# its number and boxes checked. About 1 min. Its screenshots go to .build/web-screenshots here, so that a run leaves
# the checkout clean; `WEB_SCREENSHOTS=docs pytest tests/web` refreshes docs/web-desktop.png and docs/web-phone.png.
WEB_SCREENSHOTS="${WEB_SCREENSHOTS:-$repo/.build/web-screenshots}" "$client_tests/bin/pytest" -q tests/web

# API docs: every library's DocC catalogue builds without warnings and every public symbol has a summary
# (scripts/docs.sh, all library products; about 3-5 min).
bash scripts/docs.sh

# Portability: the dtype and OCR suites again as on a CPU without AVX-512. The oneDNN 3.6.2 inside the 3.3.1 wheel
# honours ONEDNN_MAX_CPU_ISA (checked: `paddle-swift info` then reports oneDNN avx2, and bfloat16 fails in Python
# paddle.inference exactly as on an AVX2-only EPYC). The fixtures are made again under the same limit, so Python's
# engine decides what this CPU can run and the tests check that the binding agrees.
avx2_fixtures="$repo/.fixtures-avx2"
ONEDNN_MAX_CPU_ISA=AVX2 "$home/venv-oracle/bin/python" scripts/oracle/make_fixtures.py --out "$avx2_fixtures"
portable='PaddleInferenceTests\.(OracleTests|MemoryOptimOracleTests|CPUFeaturesTests|CommandLineTests)|DataTypeServingTests|PaddleOCRTests|OCRRoutes'
ONEDNN_MAX_CPU_ISA=AVX2 PADDLE_SWIFT_FIXTURES="$avx2_fixtures" swift test --skip-build --filter "$portable"
ONEDNN_MAX_CPU_ISA=AVX2 PADDLE_SWIFT_FIXTURES="$avx2_fixtures" "$client_tests/bin/pytest" -q tests/triton/test_dtypes.py

# Shutdown: start/stop cycles of `serve` with SIGTERM at random moments and SIGINT cycles of `ocr`, every exit clean
# (the full run is bench/shutdown/run.sh: 300 + 100 cycles).
python3 bench/shutdown/shutdown_stress.py --cycles 30 --ocr-cycles 10

# Deployment: the OCI image built without a container engine and run as a container would be (namespaces + chroot),
# and the Kubernetes/KServe manifests validated offline (deploy/ci.sh; docs/deploy.md). It builds the release binary.
bash deploy/ci.sh

# Soak, short: 3 minutes of saturation with a repository change every 20 s, then SIGTERM under load (no failed
# request, none dropped, exit 0, no thread or file growth). The 30-minute run is bench/soak/run.sh (docs/soak.md).
python3 bench/soak/soak.py --minutes 3 --out "$repo/bench/out/soak-ci"

# Many models under a memory budget (issue 15): 200 generated models (generate.py, about 20 s), 128 MiB, 60 s of
# Zipf traffic from 8 connections. Fails when a request fails or the server's peak RSS goes above budget + base
# (the server with the runtime, no model) + the largest model (docs/benchmarks.md, section 10). About 1.5 min.
"$home/venv-oracle/bin/python" bench/many-models/generate.py --count 200 --out "$repo/bench/out/many-models-ci/repo"
python3 bench/many-models/load.py --repo "$repo/bench/out/many-models-ci/repo" --budget-mb 128 --seconds 60 \
  --out "$repo/bench/out/many-models-ci/run"

# Coverage-guided fuzzing (libFuzzer + AddressSanitizer) of every parser that takes outside bytes, 60 s per target,
# replaying the committed seeds and regression inputs first (fuzz/run.sh; docs/fuzzing.md).
bash fuzz/run.sh --seconds 60
