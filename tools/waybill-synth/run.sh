#!/usr/bin/env bash
# Generates the synthetic waybill set (default: 200 images, seed 13) into <repo>/.waybills (git-ignored).
# Creates its own venv with pinned Pillow and numpy so that the same seed gives the same files; the fonts come from
# the Debian packages scripts/setup.sh installs. A second run with the same arguments finds the manifest and stops.
#   tools/waybill-synth/run.sh [--out DIR] [--count N] [--seed S]
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
venv=${WAYBILL_SYNTH_VENV:-$repo/.venv-waybill-synth}
out=$repo/.waybills count=200 seed=13
while [ $# -gt 0 ]; do
  case $1 in
    --out) out=$2; shift 2 ;;
    --count) count=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install -q --disable-pip-version-check pillow==11.3.0 numpy==2.2.6
stamp="\"seed\": $seed,"
if [ -f "$out/manifest.json" ] && grep -q "$stamp" "$out/manifest.json" && grep -q "\"count\": $count," "$out/manifest.json" \
   && [ "$out/manifest.json" -nt "$repo/tools/waybill-synth/generate.py" ]; then
  echo "[waybill-synth] $out is up to date ($count images, seed $seed)" >&2
  exit 0
fi
"$venv/bin/python" "$repo/tools/waybill-synth/generate.py" --out "$out" --count "$count" --seed "$seed"
