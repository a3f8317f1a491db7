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

swift build --build-tests
if [ $# -gt 0 ]; then
  exec swift test --skip-build "$@"
fi
# Tests that measure this process's memory (RSS) run afterwards, one at a time, so that no other test allocates
# beside them.
memory_tests='LifetimeTests|run_1000Runs_releaseEveryTensorAndKeepMemoryFlat'
swift test --skip-build --skip "$memory_tests"
swift test --skip-build --no-parallel --filter "$memory_tests"

# The KServe v2 conformance suite, driven by the real tritonclient against the built `paddle-swift serve`.
"${CLIENT_TESTS_VENV:-$repo/.venv-client-tests}/bin/pytest" -q tests/triton
