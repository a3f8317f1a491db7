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
func fuzzTarget(_ name: String, _ products: [String], nio: Bool = false) -> Target {
    .executableTarget(
        name: name,
        dependencies: ["CFuzzerDriver"] + products.map { .product(name: $0, package: mainIdentity) }
            + (nio ? [.product(name: "NIOCore", package: "swift-nio")] : []),
        path: "Sources/\(name)"
    )
}

let package = Package(
    name: "paddle-swift-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
    ],
    targets: [
        // libFuzzer's driver entry point, declared for Swift (see its header).
        .target(name: "CFuzzerDriver"),
        fuzzTarget("FuzzJSON", ["KServeProtocol"]),
        fuzzTarget("FuzzKServeRequest", ["KServeProtocol", "PaddleServing", "PaddleInference"]),
        fuzzTarget("FuzzMultipart", ["PaddleOCRServing"]),
        fuzzTarget("FuzzImage", ["PaddleOCRServing", "PaddleOCR"]),
        fuzzTarget("FuzzNPY", ["PaddleInference"]),
        fuzzTarget("FuzzConfigYAML", ["PaddleModelRepository"]),
        fuzzTarget("FuzzManifest", ["PaddleModelRepository"]),
    ],
    swiftLanguageModes: [.v6]
)
