#!/usr/bin/env bash
# Creates the Python venv for the tritonclient conformance suites (tests/triton/, tests/triton_grpc/) and the web page's
# browser test (tests/web/: Playwright driving Debian's chromium, which this script installs; Playwright's own browser
# downloads are never used) and installs its pinned packages from PyPI. Idempotent: a second run with the same pins
# does nothing.
#
#   scripts/setup-client-tests.sh            # makes .venv-client-tests/
#   .venv-client-tests/bin/pytest tests/triton tests/triton_grpc
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="${CLIENT_TESTS_VENV:-$root/.venv-client-tests}"
packages=("tritonclient[http,grpc]==2.73.0" "numpy==2.4.6" "pytest==9.2.0" "ml_dtypes==0.5.4" "playwright==1.65.2" "prometheus_client==0.26.0")
# Debian's headless-capable Chromium for tests/web (Playwright is pointed at /usr/bin/chromium).
if ! dpkg-query -W -f='${Status}' chromium 2>/dev/null | grep -q "install ok installed"; then
    echo "[setup-client-tests] installing Debian's chromium" >&2
    sudo_cmd=""; [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
stamp="$venv/.installed-$(printf '%s\n' "${packages[@]}" | sha256sum | cut -c1-16)"
[[ -f "$stamp" ]] && exit 0
if [[ ! -x "$venv/bin/python" ]]; then
    python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet "${packages[@]}"
"$venv/bin/python" -c "import tritonclient.http, tritonclient.grpc, numpy, pytest, playwright.sync_api, prometheus_client"
touch "$stamp"
echo "[setup-client-tests] ready: $venv" >&2
