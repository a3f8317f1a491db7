import ArgumentParser
import Foundation
import Logging
import PaddleInference
import PaddleOCR
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
            """)

    @Option(name: .long, help: "A model repository folder (<model>/<version>/ layout).")
    var modelRepository: String?

    @Option(name: .long, help: "One model folder or program file to serve.")
    var model: String?

    @Option(name: .long, help: "The served name of --model (default: its folder name).")
    var modelName: String?

    @Option(name: .long, help: "A YAML configuration for --model.")
    var modelConfig: String?

    @Option(name: .long, help: "The address to bind.")
    var host: String = "127.0.0.1"

    @Option(name: .long, help: "The port to bind (0 picks a free one).")
    var port: Int = 8000

    @Option(name: .long, help: "The largest request body in bytes (413 beyond).")
    var maxBodyBytes: Int = 64 << 20

    @Option(name: .long, help: "Seconds in-flight requests may take to finish after SIGTERM/SIGINT.")
    var drainTimeout: Int = 30

    @Option(
        name: .long,
        help: "Seconds to keep serving after SIGTERM/SIGINT with readiness false, before the listener closes (time for a load balancer to stop sending).")
    var shutdownDelay: Double = 0

    @Flag(
        inversion: .prefixedNo,
        help: "Serve plain infer requests on the event loop, handing them straight to a pool thread.")
    var eventLoopInference = true

    @Option(name: .long, help: "Threads serving connections (default: half the cores, at least 1).")
    var eventLoopThreads: Int?

    @Flag(inversion: .prefixedNo, help: "Serve POST /v1/ocr (default: on when the PP-OCR models are installed).")
    var ocr: Bool?

    @Option(name: .long, help: "PP-OCR model generation behind POST /v1/ocr: v4 or v5.")
    var ocrVersion: OCROptions.ModelVersion = .v4

    @Option(name: .long, help: "Log level (trace, debug, info, notice, warning, error, critical).")
    var logLevel: String = "info"

    @Option(
        name: .long,
        help: "A file holding the bearer token of the repository API (default: $PADDLE_SERVING_TOKEN). Required when --host is not a loopback address.")
    var repositoryTokenFile: String?

    @Option(name: .long, help: "Seconds between checks of --model-repository for changes (hot reload); 0 turns it off.")
    var pollInterval: Double = 2

    @Option(name: .long, help: "A file that must be in a version folder before it is loaded (for example READY).")
    var readyMarker: String?

    @Option(name: .long, help: "A folder outside --model-repository that links inside it may lead to (repeatable).")
    var trustedRoot: [String] = []

    func validate() throws {
        if modelRepository != nil && model != nil {
            throw ValidationError("give --model-repository or --model, not both")
        }
        if modelConfig != nil && model == nil { throw ValidationError("--model-config needs --model") }
        if modelName != nil && model == nil { throw ValidationError("--model-name needs --model") }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0...65535") }
        guard maxBodyBytes >= 1024 else { throw ValidationError("--max-body-bytes must be at least 1024") }
        guard (eventLoopThreads ?? 1) >= 1 else { throw ValidationError("--event-loop-threads must be at least 1") }
        guard drainTimeout >= 0 else { throw ValidationError("--drain-timeout must be >= 0") }
        guard shutdownDelay >= 0 && shutdownDelay.isFinite else { throw ValidationError("--shutdown-delay must be >= 0") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level \(logLevel)") }
        guard pollInterval >= 0 && pollInterval.isFinite else { throw ValidationError("--poll-interval must be >= 0") }
    }

    func run() async throws {
        LoggingSystem.bootstrap(ServingLogHandler.init(label:))
        var logger = Logger(label: "paddle.serving")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let repository: ModelRepository
        if let modelRepository {
            repository = ModelRepository(root: modelRepository, trustedRoots: trustedRoot, logger: logger)
        } else if let model {
            let configuration = try modelConfig.map { try ModelConfiguration.load(file: $0) } ?? ModelConfiguration()
            let name = modelName ?? configuration.name ?? Self.defaultName(for: model)
            repository = ModelRepository(
                models: [.init(name: name, versions: [1: model], configuration: configuration)], logger: logger)
        } else {
            repository = ModelRepository(models: try Self.defaultModels(), logger: logger)
        }
        var serving = ServingConfiguration(
            host: host, port: port, maxBodyBytes: maxBodyBytes, drainTimeout: .seconds(drainTimeout))
        if let repositoryTokenFile {
            guard let data = FileManager.default.contents(atPath: repositoryTokenFile) else {
                throw ValidationError("cannot read --repository-token-file \(repositoryTokenFile)")
            }
            serving.repositoryToken = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        serving.shutdownDelay = .milliseconds(Int(shutdownDelay * 1000))
        serving.eventLoopInference = eventLoopInference
        serving.eventLoopThreads = eventLoopThreads
        serving.repositoryPollInterval = pollInterval > 0 ? .milliseconds(Int(pollInterval * 1000)) : nil
        serving.repositoryReadyMarker = readyMarker
        var server = InferenceServer(repository: repository, configuration: serving, logger: logger)
        var ocrOptions = ocrVersion == .v5 ? OCROptions.ppocrV5 : OCROptions()
        ocrOptions.models.directory = ProcessInfo.processInfo.environment["PADDLE_SWIFT_HOME"].map { $0 + "/models" }
            .flatMap { FileManager.default.fileExists(atPath: $0) ? $0 : nil }
        // One predictor of 2 threads per model: the oneDNN cache keeps its bound (memory stays flat however many
        // image sizes arrive), and with the bound the runs go one at a time anyway once the cache is full.
        ocrOptions.models.poolSize = 1
        ocrOptions.models.cpuThreads = 2
        // The OCR pipeline loads after the port is bound, alongside the repository's models.
        let slot = OCRPipelineSlot()
        if OCRPipeline.isServed(enabled: ocr, options: ocrOptions, logger: logger) {
            let options = ocrOptions
            let pipelineLogger = logger
            server.addOCRRoutes(slot: slot) {
                try await OCRPipeline.forServing(enabled: true, options: options, logger: pipelineLogger)
            }
        }
        let announcer = logger
        try await server.run(shutdownRequested: { EarlySignals.received }) { port in
            announcer.info("listening", metadata: ["address": "http://\(host):\(port.map(String.init) ?? "?")"])
        }
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
            ProcessInfo.processInfo.environment["PADDLE_SWIFT_HOME"].map { $0 + "/models/ppocrv4" },
            FileManager.default.currentDirectoryPath + "/.paddle/models/ppocrv4",
        ].compactMap { $0 }
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
