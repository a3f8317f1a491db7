import GRPCCore
import GRPCNIOTransportHTTP2
import KServeProtocol
import Logging
import NIOPosix
import PaddleModelRepository
import PaddleServing
import ServiceLifecycle

/// The gRPC server of an `InferenceServer` (PaddleServing): `inference.GRPCInferenceService` on its own port
/// (Triton's default is 8001), over the same repository, readiness, configuration and repository token as the HTTP
/// server.
///
/// A `Service`: add it to the HTTP server's lifecycle with `InferenceServer.addService(_:)` so that SIGTERM drains
/// both. On graceful shutdown it stops accepting calls and lets the calls in flight finish.
///
/// ```swift
/// let loops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
/// var server = InferenceServer(repository: repository, configuration: configuration)
/// server.addService(GRPCInferenceServer(server: server, port: 8001, eventLoopGroup: loops))
/// try await server.run(eventLoopGroup: loops)
/// try await loops.shutdownGracefully()
/// ```
public struct GRPCInferenceServer: Service {
    /// The address to bind (the HTTP server's host).
    public let host: String
    /// The port to bind; 0 picks a free one.
    public let port: Int
    private let service: GRPCInferenceService
    private let eventLoopGroup: MultiThreadedEventLoopGroup
    private let maxRequestBytes: Int
    private let logger: Logger
    private let onListening: @Sendable (Int) async -> Void

    /// A gRPC server over `server`'s repository, state and configuration, on `port` of the same host.
    ///
    /// Nothing is bound until ``run()``.
    ///
    /// - Parameters:
    ///   - server: The HTTP server whose repository, state and configuration the gRPC service shares.
    ///   - port: The port to bind (0 picks a free one).
    ///   - eventLoopGroup: The event loops that serve the connections (the HTTP server's, shared); shut it down
    ///     after the server has stopped, as connections may still schedule work while they close.
    ///   - onListening: Called with the bound port once the server listens.
    public init(
        server: InferenceServer, port: Int, eventLoopGroup: MultiThreadedEventLoopGroup,
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) {
        let configuration = server.configuration
        host = configuration.host
        self.port = port
        service = GRPCInferenceService(
            pipeline: server.pipeline, state: server.state, configuration: configuration,
            access: BearerTokenMiddleware(host: configuration.host, token: configuration.resolvedRepositoryToken),
            metrics: GRPCMetrics(registry: server.repository.metrics.registry), logger: server.logger)
        self.eventLoopGroup = eventLoopGroup
        maxRequestBytes = configuration.maxBodyBytes
        logger = server.logger
        self.onListening = onListening
    }

    /// Serves until a graceful shutdown (then drains the calls in flight) or cancellation.
    ///
    /// - Throws: When the port cannot be bound.
    public func run() async throws {
        var config = HTTP2ServerTransport.Posix.Config.defaults
        config.rpc.maxRequestPayloadSize = maxRequestBytes
        let server = GRPCServer(
            transport: .http2NIOPosix(
                address: Self.address(host: host, port: port), transportSecurity: .plaintext, config: config,
                eventLoopGroup: eventLoopGroup),
            services: [service])
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask { try await server.serve() }
                if let address = try await server.listeningAddress, let port = address.ipv4?.port ?? address.ipv6?.port {
                    await onListening(port)
                }
            }
        } onGracefulShutdown: {
            server.beginGracefulShutdown()
        }
        logger.info("gRPC server stopped")
    }

    /// The transport address of a host name or IP address (`localhost` is 127.0.0.1).
    static func address(host: String, port: Int) -> GRPCNIOTransportCore.SocketAddress {
        if host == "localhost" { return .ipv4(host: "127.0.0.1", port: port) }
        if host.contains(":") {
            let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
            return .ipv6(host: bare, port: port)
        }
        return .ipv4(host: host, port: port)
    }
}
