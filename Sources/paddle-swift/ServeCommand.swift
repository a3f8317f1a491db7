import ArgumentParser
import Foundation
import Logging
import NIOPosix
import PaddleGRPC
import PaddleInference
import PaddleModelRepository
import PaddleOCR
import PaddleOCRServing
import PaddleWaybill
import PaddleServing

/// `paddle-swift serve`: the KServe v2 / Triton-compatible inference server.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve Paddle models over the KServe v2 / Open Inference Protocol (Triton-compatible).",
        discussion: """
            With --model-repository DIR, serves every model in DIR laid out as <model>/<version>/ with an optional \
            <model>/config.yaml. With --model PATH, serves one model. With neither, serves the PP-OCR models \
            installed by scripts/setup.sh.

            Every option can also come from an environment variable (a container's usual way to configure): \
            PADDLE_SWIFT_ and the option's name in capitals with _ for -, for example PADDLE_SWIFT_HOST, \
            PADDLE_SWIFT_PORT, PADDLE_SWIFT_MODEL, PADDLE_SWIFT_MODEL_REPOSITORY, PADDLE_SWIFT_OCR=on|off. \
            An option given on the command line wins; an empty variable counts as unset. The environment's \
            --model and --model-repository are used only when the command line gives neither, and its \
            --model-name and --model-config only with a --model.
            """)

    @Option(name: .long, help: "A model repository folder (<model>/<version>/ layout).")
    var modelRepository: String?

    @Option(name: .long, help: "One model folder or program file to serve.")
    var model: String?

    @Option(name: .long, help: "The served name of --model (default: its folder name).")
    var modelName: String?

    @Option(name: .long, help: "A YAML configuration for --model.")
    var modelConfig: String?

    @Option(name: .long, help: "The address to bind (default: 127.0.0.1).")
    var host: String?

    @Option(name: .long, help: "The port to bind (0 picks a free one; default: 8000).")
    var port: Int?

    @Option(
        name: .long,
        help: "The port of the gRPC service (inference.GRPCInferenceService; default: 8001, Triton's); 0 turns it off.")
    var grpcPort: Int?

    @Option(
        name: .long,
        help: "Metric names GET /metrics exports: paddle (paddle_*), triton (Triton's nv_*) or both; process_* in every format (default: paddle).")
    var metricsFormat: MetricsFormat?

    @Option(
        name: .long,
        help: "A second port serving GET /metrics alone, as Triton's 8002 (default: none; /metrics stays on --port either way).")
    var metricsPort: Int?

    @Option(name: .long, help: "The largest request body in bytes (413 beyond; default: 64 MiB).")
    var maxBodyBytes: Int?

    @Option(name: .long, help: "Seconds in-flight requests may take to finish after SIGTERM/SIGINT (default: 30).")
    var drainTimeout: Int?

    @Option(
        name: .long,
        help: "Seconds to keep serving after SIGTERM/SIGINT with readiness false, before the listener closes (time for a load balancer to stop sending; default: 0).")
    var shutdownDelay: Double?

    @Flag(
        inversion: .prefixedNo,
        help: "Serve plain infer requests on the event loop, handing them straight to a pool thread.")
    var eventLoopInference = true

    @Option(name: .long, help: "Threads serving connections (default: half the cores, at least 1).")
    var eventLoopThreads: Int?

    @Flag(inversion: .prefixedNo, help: "Serve POST /v1/ocr, POST /v1/waybill and the web page at / (default: on when the PP-OCR models are installed).")
    var ocr: Bool?

    @Option(name: .long, help: "PP-OCR model generation behind POST /v1/ocr: v4 or v5 (default: v4).")
    var ocrVersion: OCROptions.ModelVersion?

    @Option(name: .long, help: "Predictors per PP-OCR model behind POST /v1/ocr (default: 1).")
    var ocrPoolSize: Int?

    @Option(name: .long, help: "Math threads per PP-OCR predictor behind POST /v1/ocr (default: 2).")
    var ocrThreads: Int?

    @Option(
        name: .long,
        help: "oneDNN cache bound of the PP-OCR models in input-shape sets (default: the engine's 10; 0 removes it: runs of different stages overlap, but memory grows with every new image and line size).")
    var ocrOnednnCache: Int?

    @Option(name: .long, help: "Log level (trace, debug, info, notice, warning, error, critical; default: info).")
    var logLevel: String?

    @Option(
        name: .long,
        help: "A file holding the bearer token of the repository API (default: $PADDLE_SERVING_TOKEN). Without a token, a server on a non-loopback --host keeps the repository API off (403).")
    var repositoryTokenFile: String?

    @Option(
        name: .long, help: "Seconds between checks of --model-repository for changes (hot reload; default: 2); 0 turns it off.")
    var pollInterval: Double?

    @Option(name: .long, help: "A file that must be in a version folder before it is loaded (for example READY).")
    var readyMarker: String?

    @Option(name: .long, help: "A folder outside --model-repository that links inside it may lead to (repeatable).")
    var trustedRoot: [String] = []

    @Option(
        name: .long,
        help: "A folder of optimized programs shared by every model load (start-up, reloads, on-demand loads) and by replicas given the same folder; created if missing.")
    var optimizationCache: String?

    @Option(
        name: .long,
        help: "The most memory (MiB) the loaded models may take (of --model-repository, --model or the default models): models load on demand when they do not all fit, and idle ones are evicted least recently used first.")
    var memoryBudgetMb: Int?

    @Flag(
        name: .long,
        help: "Versions and models with byte-identical .pdmodel files share one predictor family (weights loaded once). Off by default: the 30-minute soak's hot reloads broke shared families on an AVX2 CPU (docs/soak.md).")
    var shareWeights = false

    /// The values of the options left unset, with their defaults.
    private var bindHost: String { host ?? "127.0.0.1" }
    private var bindPort: Int { port ?? 8000 }
    private var bindGRPCPort: Int { grpcPort ?? 8001 }

    mutating func validate() throws {
        try applyEnvironment(ProcessInfo.processInfo.environment)
        if modelRepository != nil && model != nil {
            throw ValidationError("give --model-repository or --model, not both")
        }
        if modelConfig != nil && model == nil { throw ValidationError("--model-config needs --model") }
        if modelName != nil && model == nil { throw ValidationError("--model-name needs --model") }
        guard (0...65535).contains(bindPort) else { throw ValidationError("--port must be 0...65535") }
        guard (0...65535).contains(bindGRPCPort) else { throw ValidationError("--grpc-port must be 0...65535") }
        guard (0...65535).contains(metricsPort ?? 0) else { throw ValidationError("--metrics-port must be 0...65535") }
        guard (maxBodyBytes ?? 1024) >= 1024 else { throw ValidationError("--max-body-bytes must be at least 1024") }
        guard (eventLoopThreads ?? 1) >= 1 else { throw ValidationError("--event-loop-threads must be at least 1") }
        guard (drainTimeout ?? 0) >= 0 else { throw ValidationError("--drain-timeout must be >= 0") }
        if let shutdownDelay, !(shutdownDelay >= 0 && shutdownDelay.isFinite) {
            throw ValidationError("--shutdown-delay must be >= 0")
        }
        if let logLevel, Logger.Level(rawValue: logLevel) == nil {
            throw ValidationError("unknown --log-level \(logLevel)")
        }
        if let pollInterval, !(pollInterval >= 0 && pollInterval.isFinite) {
            throw ValidationError("--poll-interval must be >= 0")
        }
        if let memoryBudgetMb {
            guard memoryBudgetMb >= 1 else { throw ValidationError("--memory-budget-mb must be at least 1") }
        }
    }

    /// Fills the options the command line left unset from `PADDLE_SWIFT_<OPTION>` environment variables.
    mutating func applyEnvironment(_ environment: [String: String]) throws {
        func value(_ option: String) -> String? {
            let name = "PADDLE_SWIFT_" + option.uppercased().replacingOccurrences(of: "-", with: "_")
            return environment[name].flatMap { $0.isEmpty ? nil : $0 }
        }
        func parsed<T: ExpressibleByArgument>(_ option: String, as type: T.Type) throws -> T? {
            guard let text = value(option) else { return nil }
            guard let parsed = T(argument: text) else {
                throw ValidationError("PADDLE_SWIFT_\(option.uppercased().replacingOccurrences(of: "-", with: "_"))=\(text) is not a valid --\(option)")
            }
            return parsed
        }
        if model == nil && modelRepository == nil {
            model = value("model")
            modelRepository = value("model-repository")
            if model != nil && modelRepository != nil {
                throw ValidationError("PADDLE_SWIFT_MODEL and PADDLE_SWIFT_MODEL_REPOSITORY are both set: set one")
            }
        }
        if model != nil {
            modelName = modelName ?? value("model-name")
            modelConfig = modelConfig ?? value("model-config")
        }
        host = host ?? value("host")
        port = try port ?? parsed("port", as: Int.self)
        grpcPort = try grpcPort ?? parsed("grpc-port", as: Int.self)
        metricsFormat = try metricsFormat ?? parsed("metrics-format", as: MetricsFormat.self)
        metricsPort = try metricsPort ?? parsed("metrics-port", as: Int.self)
        maxBodyBytes = try maxBodyBytes ?? parsed("max-body-bytes", as: Int.self)
        drainTimeout = try drainTimeout ?? parsed("drain-timeout", as: Int.self)
        shutdownDelay = try shutdownDelay ?? parsed("shutdown-delay", as: Double.self)
        eventLoopThreads = try eventLoopThreads ?? parsed("event-loop-threads", as: Int.self)
        logLevel = logLevel ?? value("log-level")
        repositoryTokenFile = repositoryTokenFile ?? value("repository-token-file")
        pollInterval = try pollInterval ?? parsed("poll-interval", as: Double.self)
        readyMarker = readyMarker ?? value("ready-marker")
        optimizationCache = optimizationCache ?? value("optimization-cache")
        memoryBudgetMb = try memoryBudgetMb ?? parsed("memory-budget-mb", as: Int.self)
        if !shareWeights, let text = value("share-weights")?.lowercased() {
            switch text {
            case "on", "true", "1", "yes": shareWeights = true
            case "off", "false", "0", "no": shareWeights = false
            default: throw ValidationError("PADDLE_SWIFT_SHARE_WEIGHTS=\(text) is not on or off")
            }
        }
        if trustedRoot.isEmpty, let roots = value("trusted-root") {
            trustedRoot = roots.split(separator: ":").map(String.init)
        }
        if ocr == nil, let text = value("ocr")?.lowercased() {
            switch text {
            case "on", "true", "1", "yes": ocr = true
            case "off", "false", "0", "no": ocr = false
            default: throw ValidationError("PADDLE_SWIFT_OCR=\(text) is not on or off")
            }
        }
        ocrVersion = try ocrVersion ?? parsed("ocr-version", as: OCROptions.ModelVersion.self)
        ocrPoolSize = try ocrPoolSize ?? parsed("ocr-pool-size", as: Int.self)
        ocrThreads = try ocrThreads ?? parsed("ocr-threads", as: Int.self)
        ocrOnednnCache = try ocrOnednnCache ?? parsed("ocr-onednn-cache", as: Int.self)
        if let size = ocrPoolSize, size < 1 { throw ValidationError("--ocr-pool-size must be at least 1") }
        if let threads = ocrThreads, threads < 1 { throw ValidationError("--ocr-threads must be at least 1") }
        if let bound = ocrOnednnCache, bound < 0 { throw ValidationError("--ocr-onednn-cache must be 0 or more") }
    }

    func run() async throws {
        LoggingSystem.bootstrap(ServingLogHandler.init(label:))
        var logger = Logger(label: "paddle.serving")
        logger.logLevel = logLevel.flatMap(Logger.Level.init(rawValue:)) ?? .info
        AllocatorTuning.releaseFreedPagesPeriodically(every: AllocatorTuning.interval, logger: logger)
        var options = RepositoryOptions(memoryBudgetBytes: memoryBudgetMb.map { $0 << 20 })
        options.sharesWeights = shareWeights
        if let optimizationCache {
            try FileManager.default.createDirectory(atPath: optimizationCache, withIntermediateDirectories: true)
            options.optimizationCache = URL(fileURLWithPath: optimizationCache)
        }
        let metrics = ServingMetrics(format: metricsFormat ?? .paddle)
        let repository: ModelRepository
        if let modelRepository {
            repository = ModelRepository(
                root: modelRepository, trustedRoots: trustedRoot, options: options, metrics: metrics, logger: logger)
        } else if let model {
            let configuration = try modelConfig.map { try ModelConfiguration.load(file: $0) } ?? ModelConfiguration()
            let name = modelName ?? configuration.name ?? Self.defaultName(for: model)
            repository = ModelRepository(
                models: [.init(name: name, versions: [1: model], configuration: configuration)], options: options,
                metrics: metrics, logger: logger)
        } else {
            repository = ModelRepository(models: try Self.defaultModels(), options: options, metrics: metrics, logger: logger)
        }
        var serving = ServingConfiguration(
            host: bindHost, port: bindPort, maxBodyBytes: maxBodyBytes ?? 64 << 20, drainTimeout: .seconds(drainTimeout ?? 30))
        if let repositoryTokenFile {
            guard let data = FileManager.default.contents(atPath: repositoryTokenFile) else {
                throw ValidationError("cannot read --repository-token-file \(repositoryTokenFile)")
            }
            serving.repositoryToken = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        serving.shutdownDelay = .milliseconds(Int((shutdownDelay ?? 0) * 1000))
        serving.eventLoopInference = eventLoopInference
        serving.eventLoopThreads = eventLoopThreads
        serving.metricsPort = metricsPort
        let pollInterval = self.pollInterval ?? 2
        serving.repositoryPollInterval = pollInterval > 0 ? .milliseconds(Int(pollInterval * 1000)) : nil
        serving.repositoryReadyMarker = readyMarker
        var server = InferenceServer(repository: repository, configuration: serving, logger: logger)
        var ocrOptions = ocrVersion == .v5 ? OCROptions.ppocrV5 : OCROptions()
        // One predictor of 2 threads per model: the oneDNN cache keeps its bound (memory stays flat however many
        // image sizes arrive), and with the bound the runs go one at a time anyway once the cache is full.
        ocrOptions.models.poolSize = ocrPoolSize ?? 1
        ocrOptions.models.cpuThreads = ocrThreads ?? 2
        ocrOptions.models.oneDNNCacheCapacity = ocrOnednnCache
        // The OCR pipeline loads after the port is bound, alongside the repository's models.
        let slot = OCRPipelineSlot()
        if OCRPipeline.isServed(enabled: ocr, options: ocrOptions, logger: logger) {
            let options = ocrOptions
            let pipelineLogger = logger
            server.addOCRRoutes(slot: slot) {
                try await OCRPipeline.forServing(enabled: true, options: options, logger: pipelineLogger)
            }
            // POST /v1/waybill shares the OCR pipeline, and the page at / calls it; without the divisions table the
            // rest still serves.
            do {
                let reader = try await BlockingWork.offload { try WaybillReader() }
                server.addWaybillRoutes(slot: slot, reader: reader)
                server.addWebPage()
            } catch {
                logger.error("POST /v1/waybill and the page at / disabled: the divisions table cannot be read", metadata: ["error": "\(error)"])
            }
        }
        let announcer = logger
        let host = bindHost
        // HTTP and gRPC share the event loops, shut down once both servers have stopped.
        let loops = MultiThreadedEventLoopGroup(numberOfThreads: serving.resolvedEventLoopThreads)
        if bindGRPCPort != 0 {
            // The gRPC server runs under the HTTP server's lifecycle: SIGTERM drains both.
            server.addService(
                GRPCInferenceServer(server: server, port: bindGRPCPort, eventLoopGroup: loops) { port in
                    announcer.info("listening", metadata: ["address": "grpc://\(host):\(port)"])
                })
        }
        try await server.run(
            shutdownRequested: { EarlySignals.received },
            onServerRunning: { port in
                announcer.info("listening", metadata: ["address": "http://\(host):\(port.map(String.init) ?? "?")"])
            },
            onMetricsServerRunning: { port in
                announcer.info(
                    "listening", metadata: ["address": "http://\(host):\(port.map(String.init) ?? "?")/metrics"])
            }, eventLoopGroup: loops)
        try? await loops.shutdownGracefully()
        await slot.pipeline?.shutdown()
    }

    static func defaultName(for path: String) -> String {
        let url = URL(fileURLWithPath: path)
        let isDirectory = (try? url.resourceValues(forKeys: [.isDirectoryKey]))?.isDirectory ?? false
        return isDirectory ? url.lastPathComponent : url.deletingLastPathComponent().lastPathComponent
    }

    /// The PP-OCRv4 models fetched by `scripts/setup.sh`.
    static func defaultModels() throws -> [ModelRepository.ModelSpec] {
        let candidates = [
            OCRModelLocator.defaultModelsDirectory() + "/ppocrv4",
            FileManager.default.currentDirectoryPath + "/.paddle/models/ppocrv4",
        ]
        guard let folder = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw ValidationError(
                "no --model-repository or --model given, and the PP-OCR models are not installed "
                    + "(looked in \(candidates.joined(separator: ", "))); run scripts/setup.sh")
        }
        return ["ch_PP-OCRv4_det_infer", "ch_PP-OCRv4_rec_infer", "ch_ppocr_mobile_v2_cls_infer"].map { name in
            ModelRepository.ModelSpec(name: name, versions: [1: folder + "/" + name])
        }
    }
}

extension MetricsFormat: ExpressibleByArgument {}
