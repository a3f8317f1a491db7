#!/usr/bin/env bash
# Builds a release executable of the package for the benchmarks and prints its path: `paddle-swift` by default,
# or the product named (`bench/build-swift.sh paddle-bench`). The package's own build, nothing else: a build break
# fails the benchmark (the log is bench/out/build.log). The release build lives in .build-release, so that it does
# not replace the debug build of .build.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
product=${1:-paddle-swift}
log="$root/bench/out/build.log"
mkdir -p "$root/bench/out"

if ! swift build -c release --product "$product" --scratch-path .build-release >"$log" 2>&1; then
    echo "build-swift: the release build of $product failed; see $log" >&2
    tail -20 "$log" >&2
    exit 1
fi
echo "$(swift build -c release --scratch-path .build-release --show-bin-path)/$product"
