#!/usr/bin/env bash
# Regenerates the committed seed corpora under fuzz/corpus/ (needs cc, libjpeg and libpng headers, python3).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
corpus="$here/../corpus"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$corpus/FuzzImage"
cc -O1 -o "$work/make_image_seeds" "$here/make_image_seeds.c" -ljpeg -lpng
"$work/make_image_seeds" "$corpus/FuzzImage"
python3 "$here/make_seeds.py" "$corpus"
