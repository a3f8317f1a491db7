#!/usr/bin/env bash
# Regenerates the Swift code of the gRPC service (Sources/PaddleGRPC/Generated/) from Protos/*.proto.
#
# Needs Debian's protoc (`apt-get install protobuf-compiler`) and builds the two protoc plugins, protoc-gen-swift
# (apple/swift-protobuf 1.39.0) and protoc-gen-grpc-swift-2 (grpc/grpc-swift-protobuf 2.4.1), in a throwaway
# package under .build-protoc/ (git-ignored; the first build takes a few minutes). The generated files are
# committed: neither CI nor `swift build` runs this script.
#
#   scripts/generate-grpc.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
scratch="$root/.build-protoc/plugins"
out="$root/Sources/PaddleGRPC/Generated"

if ! command -v protoc >/dev/null; then
    echo "[generate-grpc] protoc is missing: apt-get install protobuf-compiler" >&2
    exit 1
fi

mkdir -p "$scratch"
cat > "$scratch/Package.swift" <<'SWIFT'
// swift-tools-version:6.1
// Throwaway package that builds the protoc plugins for scripts/generate-grpc.sh.
import PackageDescription
let package = Package(
    name: "protoc-plugins",
    dependencies: [
        .package(url: "https://github.com/apple/swift-protobuf", exact: "1.39.0"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf", exact: "2.4.1"),
    ],
    targets: []
)
SWIFT
(cd "$scratch" && swift build --product protoc-gen-swift && swift build --product protoc-gen-grpc-swift-2) >&2
bin="$(cd "$scratch" && swift build --show-bin-path)"

mkdir -p "$out"
rm -f "$out"/*.swift
protoc \
    --proto_path="$root/Protos" \
    --plugin=protoc-gen-swift="$bin/protoc-gen-swift" \
    --plugin=protoc-gen-grpc-swift="$bin/protoc-gen-grpc-swift-2" \
    --swift_out="$out" --swift_opt=Visibility=Package \
    --grpc-swift_out="$out" \
    --grpc-swift_opt=Visibility=Package,Client=true,Server=true \
    "$root"/Protos/*.proto
echo "[generate-grpc] wrote: $(cd "$out" && ls | tr '\n' ' ')" >&2
