#!/usr/bin/env bash
# Creates the Python venv for the tritonclient conformance suites (tests/triton/, tests/triton_grpc/) and installs its pinned packages
# from PyPI. Idempotent: a second run with the same pins does nothing.
#
#   scripts/setup-client-tests.sh            # makes .venv-client-tests/
#   .venv-client-tests/bin/pytest tests/triton tests/triton_grpc
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="${CLIENT_TESTS_VENV:-$root/.venv-client-tests}"
packages=("tritonclient[http,grpc]==2.73.0" "numpy==2.4.6" "pytest==9.2.0" "ml_dtypes==0.5.4" "prometheus_client==0.26.0")
stamp="$venv/.installed-$(printf '%s\n' "${packages[@]}" | sha256sum | cut -c1-16)"
[[ -f "$stamp" ]] && exit 0
if [[ ! -x "$venv/bin/python" ]]; then
    python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet "${packages[@]}"
"$venv/bin/python" -c "import tritonclient.http, tritonclient.grpc, numpy, pytest, prometheus_client"
touch "$stamp"
echo "[setup-client-tests] ready: $venv" >&2
