#!/usr/bin/env bash
# Sets up the Python "oracle" of paddle-swift's correctness tests, idempotently:
# a venv at $PADDLE_SWIFT_HOME/venv-oracle holding paddlepaddle 3.3.1 (the same pinned wheel whose libpaddle.so the
# Swift SDK loads) and the pinned packages of scripts/oracle/requirements.txt. A second run does nothing.
#
# Then:  "$PADDLE_SWIFT_HOME/venv-oracle/bin/python" scripts/oracle/make_fixtures.py   (writes <repo>/.fixtures)
#
# Needs: python3 3.11 with venv (Debian python3-venv), PyPI, and the wheel in $PADDLE_SWIFT_HOME/downloads
# (scripts/setup.sh fetches it; this script runs setup.sh when it is missing). The metadata probe of
# make_fixtures.py also needs a C++ compiler (g++ from build-essential, which setup.sh installs).
#
# Folders (git-ignored): PADDLE_SWIFT_HOME, default <repo>/.paddle.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
home=${PADDLE_SWIFT_HOME:-$repo/.paddle}
venv=$home/venv-oracle
wheel=$home/downloads/paddlepaddle-3.3.1-cp311-cp311-manylinux1_x86_64.whl
requirements=$repo/scripts/oracle/requirements.txt
python=${PYTHON:-python3}

log() { printf '[setup-oracle] %s\n' "$*" >&2; }

if [ ! -f "$wheel" ]; then
  log "paddlepaddle wheel missing; running scripts/setup.sh"
  "$repo/scripts/setup.sh"
fi

# The stamp names everything the venv is made of (the wheel by name, size and time, to stay fast): a change to
# any of them rebuilds the venv.
stamp_value=$( { "$python" -c 'import sys; print(sys.version)'; stat -c '%n %s %Y' "$wheel"; cat "$requirements"; } \
  | sha256sum | cut -d' ' -f1)
stamp=$venv/.oracle-stamp
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$stamp_value" ] && [ -x "$venv/bin/python" ]; then
  exit 0
fi

if ! "$python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
  log "$python is $("$python" --version 2>&1); the paddlepaddle wheel needs Python 3.11 (set PYTHON=...)"
  exit 1
fi

log "creating $venv"
rm -rf "$venv"
if ! "$python" -m venv "$venv"; then
  log "python3 -m venv failed; install Debian's python3-venv (scripts/setup.sh does)"
  exit 1
fi
log "installing paddlepaddle 3.3.1 and the pinned requirements"
"$venv/bin/python" -m pip install --disable-pip-version-check --no-input -q "$wheel" -r "$requirements"
"$venv/bin/python" -W ignore -c 'import paddle; assert paddle.__version__ == "3.3.1", paddle.__version__' 2>/dev/null
echo "$stamp_value" > "$stamp"
log "ready: $venv"
