import Foundation
import Hummingbird
import HummingbirdCore
import KServeProtocol
import Logging
import NIOCore
import NIOPosix
import PaddleModelRepository
import ServiceLifecycle

/// The inference server: a model repository served over the KServe v2 protocol with Triton's extensions.
///
/// ```swift
/// let repository = ModelRepository(root: "models")
/// let server = InferenceServer(repository: repository, configuration: .init(port: 8000))
/// try await server.run()    // loads, warms up, serves; drains and exits on SIGTERM/SIGINT
/// ```
///
/// Other routes (for example `POST /v1/ocr`) are added with ``addRoutes(_:)`` before the server starts.
/// Lifecycle: `GET /v2/health/live` answers as soon as the port is bound; `/v2/health/ready` only once every
/// model has loaded and warmed up, and false again from the moment a shutdown signal arrives. In-flight requests
/// then finish (for at most ``ServingConfiguration/drainTimeout``), the models are unloaded, and ``run(shutdownRequested:onServerRunning:onMetricsServerRunning:eventLoopGroup:)``
/// returns.
public struct InferenceServer: Sendable {
    /// The models served.
    public let repository: ModelRepository
    /// How the server listens and what it accepts.
    public let configuration: ServingConfiguration
    /// Started and draining flags (readiness).
    public let state: ServerState
    /// Where the server logs.
    public let logger: Logger
    /// The one inference path every protocol adapter calls.
    package let pipeline: InferencePipeline
    private var extraRoutes: [@Sendable (Router<ServingContext>) -> Void] = []
    private var startupTasks: [@Sendable () async -> Void] = []
    private var extraServices: [any Service] = []

    /// A server over `repository`; nothing is bound or loaded until ``run(shutdownRequested:onServerRunning:onMetricsServerRunning:eventLoopGroup:)``.
    public init(
        repository: ModelRepository, configuration: ServingConfiguration = ServingConfiguration(),
        logger: Logger = Logger(label: "paddle.serving")
    ) {
        self.repository = repository
        self.configuration = configuration
        self.state = ServerState()
        self.logger = logger
        self.pipeline = InferencePipeline(repository: repository, configuration: configuration, logger: logger)
    }

    /// Adds routes to the router this server builds (for example the OCR endpoint).
    public mutating func addRoutes(_ install: @escaping @Sendable (Router<ServingContext>) -> Void) {
        extraRoutes.append(install)
    }

    /// Adds work that runs while the server starts, alongside loading the repository's models, after the port is
    /// bound; readiness waits for it (for example loading the OCR pipeline).
    public mutating func addStartupTask(_ task: @escaping @Sendable () async -> Void) {
        startupTasks.append(task)
    }

    /// Adds a service that runs beside the HTTP server under the same lifecycle (for example the gRPC server): it
    /// starts after the HTTP server, and on SIGTERM/SIGINT it is told to shut down gracefully once readiness is
    /// false and the shutdown delay has passed, before the HTTP server drains.
    public mutating func addService(_ service: some Service) {
        extraServices.append(service)
    }

    /// The router with every protocol route, the error middleware and request logging.
    public func makeRouter() -> Router<ServingContext> {
        let router = Router(context: ServingContext.self)
        router.add(middleware: LogRequestsMiddleware(.debug))
        router.add(middleware: ServingErrorMiddleware())
        router.add(middleware: repositoryAccess)
        ServingRoutes(
            pipeline: pipeline, state: state, configuration: configuration,
            responses: ServingResponses(compressionThreshold: configuration.compressionThreshold)
        ).register(on: router)
        for install in extraRoutes { install(router) }
        return router
    }

    /// Who may use the repository API: with a configured token, whoever presents it; without one, everyone on a
    /// loopback address, and nobody on any other (the API answers 403; inference and health are served as usual).
    private var repositoryAccess: BearerTokenMiddleware<ServingContext> {
        BearerTokenMiddleware(host: configuration.host, token: configuration.resolvedRepositoryToken)
    }

    /// The Hummingbird application (without the model-loading service); tests drive it with `app.test`.
    /// - Parameters:
    ///   - onServerRunning: Called with the bound port once the server listens.
    ///   - eventLoopGroup: The event loops that serve the connections; `nil` for NIO's shared group (one thread
    ///     per core).
    public func makeApplication(
        onServerRunning: @escaping @Sendable (Int?) async -> Void = { _ in }, eventLoopGroup: (any EventLoopGroup)? = nil
    ) -> some ApplicationProtocol {
        let pipeline = self.pipeline
        let fastPath = configuration.eventLoopInference
        let serverName = configuration.serverName
        return Application(
            router: makeRouter(),
            // HTTP/1.1 with the fast path, and h2c on the same port (its streams go through the router).
            server: HTTPServerBuilder { responder in
                H2CDetectingChannel(
                    responder: responder,
                    http1: .init(
                        additionalChannelHandlers: fastPath
                            ? [FlushBeforeCloseHandler(), FastInferHandler(pipeline: pipeline, serverName: serverName)]
                            : [FlushBeforeCloseHandler()]),
                    http2: .init())
            },
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.host, port: configuration.port), serverName: configuration.serverName),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port) },
            eventLoopGroupProvider: eventLoopGroup.map { .shared($0) } ?? .singleton,
            logger: logger)
    }

    /// The Hummingbird application of the metrics port (``ServingConfiguration/metricsPort``): `GET /metrics`
    /// alone, on the same address as the main port.
    /// - Parameters:
    ///   - port: The port to bind (0 picks a free one).
    ///   - onServerRunning: Called with the bound port once the server listens.
    ///   - eventLoopGroup: The event loops that serve the connections; `nil` for NIO's shared group.
    public func makeMetricsApplication(
        port: Int, onServerRunning: @escaping @Sendable (Int?) async -> Void = { _ in },
        eventLoopGroup: (any EventLoopGroup)? = nil
    ) -> some ApplicationProtocol {
        let router = Router(context: ServingContext.self)
        router.add(middleware: ServingErrorMiddleware())
        ServingRoutes(
            pipeline: pipeline, state: state, configuration: configuration,
            responses: ServingResponses(compressionThreshold: configuration.compressionThreshold)
        ).registerMetrics(on: router)
        return Application(
            router: router,
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.host, port: port), serverName: configuration.serverName),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port) },
            eventLoopGroupProvider: eventLoopGroup.map { .shared($0) } ?? .singleton,
            logger: logger)
    }

    /// The service that loads and warms up the models, marks the server ready, and marks it not ready as soon as
    /// a graceful shutdown begins.
    public var lifecycleService: some Service {
        ModelLifecycleService(
            repository: repository, state: state, watcherOptions: configuration.watcherOptions,
            shutdownDelay: configuration.shutdownDelay, startupTasks: startupTasks, logger: logger)
    }

    /// Runs the server until SIGTERM or SIGINT, then drains and unloads the models.
    ///
    /// A server that binds a non-loopback address without a repository API token serves inference and health,
    /// and keeps the repository API off (403).
    ///
    /// - Parameters:
    ///   - shutdownRequested: Polled every 50 ms while the server runs; `true` starts the same graceful shutdown as
    ///     SIGTERM (for a signal that arrived before this server installed its own handlers).
    ///   - onServerRunning: Called with the bound port once the server listens.
    ///   - onMetricsServerRunning: Called with the bound metrics port once it listens (only with a
    ///     ``ServingConfiguration/metricsPort``).
    ///   - eventLoopGroup: The event loops that serve the connections, shared with the services added with
    ///     ``addService(_:)`` (the caller shuts it down after `run` returns); `nil` for a group of
    ///     ``ServingConfiguration/resolvedEventLoopThreads`` threads, shut down when `run` returns.
    public func run(
        shutdownRequested: (@Sendable () -> Bool)? = nil,
        onServerRunning: @escaping @Sendable (Int?) async -> Void = { _ in },
        onMetricsServerRunning: @escaping @Sendable (Int?) async -> Void = { _ in },
        eventLoopGroup: MultiThreadedEventLoopGroup? = nil
    ) async throws {
        if let reason = repositoryAccess.offReason { logger.notice("\(reason)") }
        let loops = eventLoopGroup ?? MultiThreadedEventLoopGroup(numberOfThreads: configuration.resolvedEventLoopThreads)
        let app = makeApplication(onServerRunning: onServerRunning, eventLoopGroup: loops)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: app)]
        if let metricsPort = configuration.metricsPort, metricsPort != 0 {
            services.append(
                .init(
                    service: makeMetricsApplication(
                        port: metricsPort, onServerRunning: onMetricsServerRunning, eventLoopGroup: loops)))
        }
        var groupConfiguration = ServiceGroupConfiguration(
            services: services + extraServices.map { .init(service: $0) } + [.init(service: lifecycleService)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger)
        groupConfiguration.maximumGracefulShutdownDuration = configuration.shutdownDelay + configuration.drainTimeout
        let group = ServiceGroup(configuration: groupConfiguration)
        do {
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                if let shutdownRequested {
                    tasks.addTask {
                        while !shutdownRequested() { try await Task.sleep(for: .milliseconds(50)) }
                        await group.triggerGracefulShutdown()
                    }
                }
                try await tasks.next()  // the service group ended
                tasks.cancelAll()
            }
        } catch is CancellationError {
        } catch {
            logger.warning("server stopped with an error", metadata: ["error": "\(error)"])
        }
        await repository.shutdown()
        if eventLoopGroup == nil { try? await loops.shutdownGracefully() }
        logger.info("server stopped")
    }
}

/// Loads the models, watches the repository for changes (hot reload), then waits for a graceful shutdown and
/// marks the server not ready at once.
struct ModelLifecycleService: Service {
    let repository: ModelRepository
    let state: ServerState
    let watcherOptions: RepositoryWatcher.Options?
    var shutdownDelay: Duration = .zero
    var startupTasks: [@Sendable () async -> Void] = []
    let logger: Logger

    func run() async throws {
        let repository = self.repository
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await repository.loadAll() }
            for task in startupTasks { group.addTask { await task() } }
            try await group.waitForAll()
        }
        state.markStarted()
        logger.info("server ready", metadata: ["models": "\(repository.readyInstances().map { $0.key.description })"])
        await withTaskGroup(of: Void.self) { group in
            if let watcherOptions, repository.root != nil {
                group.addTask { await repository.watch(options: watcherOptions) }
            }
            try? await gracefulShutdown()
            group.cancelAll()
        }
        state.markDraining()
        if shutdownDelay > .zero {
            // The services stop in reverse order: the HTTP server keeps accepting until this one returns.
            logger.info("shutting down: readiness is false; serving on for the shutdown delay", metadata: ["delay": "\(shutdownDelay)"])
            try? await Task.sleep(for: shutdownDelay)
        }
        logger.info("shutting down: readiness is false, draining in-flight requests")
    }
}
