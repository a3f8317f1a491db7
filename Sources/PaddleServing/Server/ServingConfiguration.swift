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
    /// Responses larger than this are compressed when the client accepts gzip or deflate.
    public var compressionThreshold: Int = 1024
    /// The name reported by `GET /v2`.
    public var serverName: String = "paddle-swift"
    /// The version reported by `GET /v2`.
    public var serverVersion: String = "0.1.0"
    /// Limits on decoded tensors.
    public var decodingLimits = DecodingLimits()

    public init(host: String = "127.0.0.1", port: Int = 8000, maxBodyBytes: Int = 64 << 20, drainTimeout: Duration = .seconds(30)) {
        self.host = host
        self.port = port
        self.maxBodyBytes = maxBodyBytes
        self.drainTimeout = drainTimeout
    }
}
