// swift-tools-version:6.1
// Coverage-guided fuzz targets (libFuzzer) for every parser that takes outside bytes. A separate package, so that
// `swift build` of paddle-swift is unaffected; `fuzz/run.sh` builds it with `-sanitize=fuzzer,address` and runs it.
// See docs/fuzzing.md.
import Foundation
import PackageDescription

// A path dependency's identity is its folder's name, which is whatever the clone was called.
let mainPackage = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
let mainIdentity = mainPackage.lastPathComponent.lowercased()

/// One libFuzzer target: `Sources/<name>/<name>.swift` defines `LLVMFuzzerTestOneInput`.
func fuzzTarget(_ name: String, _ products: [String]) -> Target {
    .executableTarget(
        name: name,
        dependencies: ["CFuzzerDriver"] + products.map { .product(name: $0, package: mainIdentity) },
        path: "Sources/\(name)"
    )
}

let package = Package(
    name: "paddle-swift-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(path: "..")],
    targets: [
        // libFuzzer's driver entry point, declared for Swift (see its header).
        .target(name: "CFuzzerDriver"),
        fuzzTarget("FuzzJSON", ["PaddleServing"]),
        fuzzTarget("FuzzKServeRequest", ["PaddleServing", "PaddleInference"]),
        fuzzTarget("FuzzMultipart", ["PaddleServing"]),
        fuzzTarget("FuzzImage", ["PaddleServing", "PaddleOCR"]),
        fuzzTarget("FuzzNPY", ["PaddleInference"]),
        fuzzTarget("FuzzConfigYAML", ["PaddleServing"]),
        fuzzTarget("FuzzManifest", ["PaddleServing"]),
    ],
    swiftLanguageModes: [.v6]
)
