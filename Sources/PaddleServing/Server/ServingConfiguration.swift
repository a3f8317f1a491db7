import Foundation
import KServeProtocol
import PaddleInference
import PaddleModelRepository

/// How the server listens and what it accepts.
public struct ServingConfiguration: Sendable {
    /// The address to bind (loopback by default).
    public var host: String = "127.0.0.1"
    /// The port (0 picks a free one).
    public var port: Int = 8000
    /// The largest request body accepted, after decompression (413 beyond).
    public var maxBodyBytes: Int = 64 << 20
    /// How long in-flight requests may run after SIGTERM/SIGINT before they are cancelled.
    public var drainTimeout: Duration = .seconds(30)
    /// How long the server keeps accepting and serving after SIGTERM/SIGINT with readiness already false, before it
    /// stops accepting and drains: time for a load balancer (a Kubernetes Service's endpoints) to stop sending new
    /// requests, which would otherwise meet a closed listener. Default zero.
    public var shutdownDelay: Duration = .zero
    /// Responses larger than this are compressed when the client accepts gzip or deflate.
    public var compressionThreshold: Int = 1024
    /// Serve plain `infer` requests on the connection's event loop, handing them straight to a pool thread
    /// (`FastInferHandler`) instead of through a Swift task. Default `true`.
    public var eventLoopInference: Bool = true
    /// A second port that serves `GET /metrics` alone, as Triton's metrics port (8002) does; `nil` or 0 for none.
    /// `/metrics` stays on ``port`` either way, so scrapers of the main port keep working.
    public var metricsPort: Int? = nil
    /// Threads serving connections (NIO event loops); `nil` for half the cores, at least 1. The engine runs on the
    /// predictor pools' own threads, so event loops and pool threads share the cores: on 2 cores one event loop
    /// served the tiny benchmark model 10-20 % faster than two (less switching between more threads than cores).
    public var eventLoopThreads: Int? = nil

    /// ``eventLoopThreads``, or its default for this machine.
    public var resolvedEventLoopThreads: Int {
        max(1, eventLoopThreads ?? ProcessInfo.processInfo.activeProcessorCount / 2)
    }
    /// The name reported by `GET /v2`.
    public var serverName: String = "paddle-swift"
    /// The version reported by `GET /v2`: paddle-swift's own, as `paddle-swift --version` prints it.
    public var serverVersion: String = PaddleSwiftVersion.current
    /// Limits on decoded tensors.
    public var decodingLimits = DecodingLimits()
    /// The bearer token the repository API (`/v2/repository/...`) requires; `nil` reads `PADDLE_SERVING_TOKEN`.
    /// Without one, a server that binds a non-loopback address keeps the repository API off (403).
    public var repositoryToken: String? = nil
    /// How often a repository folder is checked for new, changed and removed versions and config edits; `nil`
    /// turns hot reload off.
    public var repositoryPollInterval: Duration? = .seconds(2)
    /// Polls a change must stay the same for before it is acted on (half-written files are never loaded).
    public var repositoryStablePolls: Int = 2
    /// A file that must exist in a version folder before it is loaded (for example `READY`), or `nil`.
    public var repositoryReadyMarker: String? = nil

    /// A configuration with the commonest settings; the rest keep their defaults.
    public init(host: String = "127.0.0.1", port: Int = 8000, maxBodyBytes: Int = 64 << 20, drainTimeout: Duration = .seconds(30)) {
        self.host = host
        self.port = port
        self.maxBodyBytes = maxBodyBytes
        self.drainTimeout = drainTimeout
    }
}

extension ServingConfiguration {
    /// ``repositoryToken``, else the `PADDLE_SERVING_TOKEN` environment variable (empty counts as none).
    public var resolvedRepositoryToken: String? {
        let token = repositoryToken ?? ProcessInfo.processInfo.environment["PADDLE_SERVING_TOKEN"]
        return token.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The watcher options these settings ask for, or `nil` when hot reload is off.
    var watcherOptions: RepositoryWatcher.Options? {
        repositoryPollInterval.map {
            RepositoryWatcher.Options(interval: $0, stablePolls: repositoryStablePolls, marker: repositoryReadyMarker)
        }
    }
}
