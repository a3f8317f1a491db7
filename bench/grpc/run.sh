#!/usr/bin/env bash
# gRPC vs HTTP binary QPS on the tiny model at 32 concurrent requests (grpc_bench.py), on the release
# `paddle-swift`, under the bench lock. About 1.5 minutes after the build. Writes bench/out/grpc.json.
#
#   bench/grpc/run.sh [PADDLE_SWIFT_BINARY]     # default: the release build of bench/build-swift.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"
if ! command -v h2load >/dev/null; then
    apt-get install -y -q nghttp2-client >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q nghttp2-client >/dev/null; }
fi
bash scripts/setup-client-tests.sh
binary="${1:-$(bash bench/build-swift.sh)}"
venv="${CLIENT_TESTS_VENV:-$root/.venv-client-tests}"
flock /tmp/paddle-bench.lock "$venv/bin/python" "$here/grpc_bench.py" "$binary" "${@:2}"
