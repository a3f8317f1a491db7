// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "paddle-swift",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "PaddleInference", targets: ["PaddleInference"]),
        .library(name: "PaddleOCR", targets: ["PaddleOCR"]),
        .library(name: "KServeProtocol", targets: ["KServeProtocol"]),
        .library(name: "PaddleModelRepository", targets: ["PaddleModelRepository"]),
        .library(name: "PaddleServing", targets: ["PaddleServing"]),
        .library(name: "PaddleOCRServing", targets: ["PaddleOCRServing"]),
        .library(name: "PaddleGRPC", targets: ["PaddleGRPC"]),
        .library(name: "PaddleWaybill", targets: ["PaddleWaybill"]),
        .executable(name: "paddle-swift", targets: ["paddle-swift"]),
        .executable(name: "paddle-bench", targets: ["PaddleBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.0.0"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-atomics", from: "1.2.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.24.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.1.0"),
        .package(url: "https://github.com/adam-fowler/compress-nio", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
        // `swift package generate-documentation` (scripts/docs.sh); a command plugin, linked into nothing.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
        .package(url: "https://github.com/grpc/grpc-swift-2", from: "2.4.0"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport", from: "2.9.0"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf", from: "2.4.0"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
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
        // Express-waybill fields (carrier, number, receiver, sender, ...) from OCR lines, with a table of China's
        // administrative divisions (Resources/DIVISIONS-SOURCE.md) compiled into the code, so that an installed
        // binary (the container image copies only the executable) needs no resource bundle beside it.
        .target(
            name: "PaddleWaybill",
            dependencies: ["PaddleOCR", "PaddleInference"],
            exclude: ["Resources/DIVISIONS-SOURCE.md"],
            resources: [.embedInCode("Resources/divisions.tsv")]
        ),
        // The KServe v2 / Open Inference Protocol itself: request and response types, the JSON and binary-tensor
        // codec, and the error type with its HTTP status. No engine runs, no server, no OCR.
        .target(
            name: "KServeProtocol",
            dependencies: [
                "PaddleInference",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // The models a server holds: configuration (config.yaml), the repository folder (paths, manifests,
        // watcher), versions (policies, A/B routing, leases), loaded instances (pool, dynamic batching, rate
        // limits, statistics) and their metrics. No HTTP.
        .target(
            name: "PaddleModelRepository",
            dependencies: [
                "PaddleInference",
                "KServeProtocol",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "DequeModule", package: "swift-collections"),
            ]
        ),
        // The HTTP server: routes, the event-loop fast path, the one inference pipeline, access control,
        // response compression, lifecycle (start-up, readiness, drain).
        .target(
            name: "PaddleServing",
            dependencies: [
                "PaddleInference",
                "KServeProtocol",
                "PaddleModelRepository",
                .product(name: "Hummingbird", package: "hummingbird"),
                // h2c (HTTP/2 with prior knowledge) beside HTTP/1.1 on the HTTP port: H2CDetectingChannel.
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdHTTP2", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "CompressNIO", package: "compress-nio"),
            ]
        ),
        // OCR over HTTP: `POST /v1/ocr` (raw image, multipart form or JSON), `POST /v1/waybill`, the web page at `/`,
        // their metrics and their errors.
        // Its multipart parser is our own: multipart-kit 4.7.1 traps on non-ASCII header names (see MultipartFormData).
        .target(
            name: "PaddleOCRServing",
            dependencies: [
                "PaddleOCR",
                "PaddleWaybill",
                "PaddleInference",
                "KServeProtocol",
                "PaddleModelRepository",
                "PaddleServing",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            // The web page at `/`: embedded in the binary (no resource bundle to install next to it).
            resources: [.embedInCode("Web/index.html")]
        ),
        // The Open Inference Protocol's gRPC service (inference.GRPCInferenceService) over the serving library's
        // inference path. Generated code in Generated/ comes from Protos/ through scripts/generate-grpc.sh.
        .target(
            name: "PaddleGRPC",
            dependencies: [
                "PaddleInference",
                "KServeProtocol",
                "PaddleModelRepository",
                "PaddleServing",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            exclude: ["Generated/model_config.grpc.swift"]
        ),
        .executableTarget(
            name: "paddle-swift",
            dependencies: [
                "PaddleInference",
                "PaddleOCR",
                "PaddleModelRepository",
                "PaddleServing",
                "PaddleOCRServing",
                "PaddleGRPC",
                "PaddleWaybill",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            // gperftools' tcmalloc replaces glibc's malloc in the command (not in the libraries, whose users choose
            // their own allocator): engine runs and request handling allocate on every call, and on the server
            // benchmark tcmalloc cut CPU per request by about 10 % (docs/benchmarks.md, section 5).
            linkerSettings: [.linkedLibrary("tcmalloc_minimal", .when(platforms: [.linux]))]
        ),
        // Micro-benchmarks of the project's own code paths, one subcommand each (bench/json/run.sh).
        .executableTarget(
            name: "PaddleBench",
            dependencies: [
                "PaddleInference",
                "KServeProtocol",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            // The same allocator as the server (paddle-swift), so allocation-heavy decoders are measured as served.
            linkerSettings: [.linkedLibrary("tcmalloc_minimal", .when(platforms: [.linux]))]
        ),
        // What the test targets share: locating the reference data and models, seeded randomness, small models.
        .target(
            name: "PaddleTestSupport",
            dependencies: ["PaddleInference", .product(name: "Logging", package: "swift-log")],
            path: "Tests/PaddleTestSupport"
        ),
        .testTarget(name: "PaddleInferenceTests", dependencies: ["PaddleInference", "PaddleTestSupport"]),
        .testTarget(name: "PaddleOCRTests", dependencies: ["PaddleOCR", "PaddleInference", "PaddleTestSupport"]),
        .testTarget(name: "KServeProtocolTests", dependencies: ["KServeProtocol", "PaddleInference", "PaddleTestSupport"]),
        .testTarget(
            name: "PaddleModelRepositoryTests",
            dependencies: [
                "PaddleModelRepository", "KServeProtocol", "PaddleInference", "PaddleTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "PaddleGRPCTests",
            dependencies: [
                "PaddleGRPC",
                "PaddleServing",
                "PaddleModelRepository",
                "KServeProtocol",
                "PaddleInference",
                "PaddleTestSupport",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
            ]
        ),
        .testTarget(name: "PaddleWaybillTests", dependencies: ["PaddleWaybill", "PaddleOCR", "PaddleTestSupport"]),
        .testTarget(
            name: "PaddleServingTests",
            dependencies: [
                "PaddleServing",
                "PaddleModelRepository",
                "KServeProtocol",
                "PaddleInference",
                "PaddleTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ]
        ),
        .testTarget(
            name: "PaddleOCRServingTests",
            dependencies: [
                "PaddleOCRServing",
                "PaddleServing",
                "PaddleModelRepository",
                "KServeProtocol",
                "PaddleOCR",
                "PaddleWaybill",
                "PaddleInference",
                "PaddleTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6],
    cxxLanguageStandard: .cxx17
)
