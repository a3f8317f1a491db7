// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "paddle-swift",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "PaddleInference", targets: ["PaddleInference"]),
        .library(name: "PaddleOCR", targets: ["PaddleOCR"]),
        .library(name: "PaddleServing", targets: ["PaddleServing"]),
        .library(name: "PaddleWaybill", targets: ["PaddleWaybill"]),
        .executable(name: "paddle-swift", targets: ["paddle-swift"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.0.0"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-atomics", from: "1.2.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.24.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.1.0"),
        .package(url: "https://github.com/adam-fowler/compress-nio", from: "1.5.0"),
    ],
    targets: [
        // Native boundary: a C ABI over Paddle Inference's C++ API, resolved at run time with dlopen/dlsym.
        // Every entry point catches every C++ exception.
        .target(
            name: "CPaddle",
            linkerSettings: [.linkedLibrary("dl")]
        ),
        // The Swift binding: Config, Predictor, Tensor, errors, and the predictor pool.
        .target(
            name: "PaddleInference",
            dependencies: [
                "CPaddle",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "DequeModule", package: "swift-collections"),
            ]
        ),
        // JPEG/PNG decoding through Debian's libjpeg-turbo and libpng.
        .target(
            name: "CImageCodecs",
            linkerSettings: [.linkedLibrary("jpeg"), .linkedLibrary("png")]
        ),
        // The PP-OCR pipeline (detection, direction, recognition).
        .target(
            name: "PaddleOCR",
            dependencies: ["PaddleInference", "CImageCodecs"]
        ),
        // Express-waybill fields (carrier, number, receiver, sender, ...) from OCR lines, with a bundled table of
        // China's administrative divisions (Resources/DIVISIONS-SOURCE.md).
        .target(
            name: "PaddleWaybill",
            dependencies: ["PaddleOCR"],
            exclude: ["Resources/DIVISIONS-SOURCE.md"],
            resources: [.copy("Resources/divisions.tsv")]
        ),
        // The KServe v2 / Open Inference Protocol server.
        .target(
            name: "PaddleServing",
            dependencies: [
                "PaddleInference",
                "PaddleOCR",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "CompressNIO", package: "compress-nio"),
            ]
        ),
        .executableTarget(
            name: "paddle-swift",
            dependencies: [
                "PaddleInference",
                "PaddleOCR",
                "PaddleServing",
                "PaddleWaybill",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            // gperftools' tcmalloc replaces glibc's malloc in the command (not in the libraries, whose users choose
            // their own allocator): engine runs and request handling allocate on every call, and on the server
            // benchmark tcmalloc cut CPU per request by about 10 % (docs/benchmarks.md, section 5).
            linkerSettings: [.linkedLibrary("tcmalloc_minimal", .when(platforms: [.linux]))]
        ),
        .testTarget(name: "PaddleInferenceTests", dependencies: ["PaddleInference"]),
        .testTarget(name: "PaddleOCRTests", dependencies: ["PaddleOCR", "PaddleInference"]),
        .testTarget(name: "PaddleWaybillTests", dependencies: ["PaddleWaybill", "PaddleOCR"]),
        .testTarget(
            name: "PaddleServingTests",
            dependencies: [
                "PaddleServing",
                "PaddleInference",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6],
    cxxLanguageStandard: .cxx17
)
