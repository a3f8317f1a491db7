import KServeProtocol
import PaddleModelRepository
import Synchronization

/// Whether the server is ready: models loaded and warmed up, and not draining.
///
/// Thread-safe (two atomics). Readiness goes false the moment draining starts.
public final class ServerState: Sendable {
    private let started = Atomic<Bool>(false)
    private let draining = Atomic<Bool>(false)

    /// Not started, not draining.
    public init() {}

    /// Marks start-up (loading and warm-up) as done.
    public func markStarted() { started.store(true, ordering: .releasing) }
    /// Marks the start of a graceful shutdown.
    public func markDraining() { draining.store(true, ordering: .releasing) }

    /// Whether the models loaded and the server started.
    public var isStarted: Bool { started.load(ordering: .acquiring) }
    /// Whether a graceful shutdown has begun.
    public var isDraining: Bool { draining.load(ordering: .acquiring) }
    /// Started and not draining.
    public var isReady: Bool { isStarted && !isDraining }
}
