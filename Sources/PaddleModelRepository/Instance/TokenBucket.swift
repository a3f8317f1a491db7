import KServeProtocol
import Synchronization

/// A token-bucket rate limiter: `rate` tokens a second, at most `capacity` saved up.
///
/// Thread-safe. ``acquire(now:)`` never waits: it takes a token or says how long until one is due.
public final class TokenBucket: Sendable {
    private struct State {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    /// Tokens added per second.
    public let rate: Double
    /// The most tokens the bucket holds (the burst).
    public let capacity: Double
    private let state: Mutex<State>

    /// A full bucket refilled at `rate` tokens per second, holding at most `capacity`.
    public init(rate: Double, capacity: Int) {
        self.rate = rate
        self.capacity = Double(max(capacity, 1))
        state = Mutex(State(tokens: Double(max(capacity, 1)), updated: .now))
    }

    /// Takes one token. Returns `nil` on success, or the time until a token will be available.
    public func acquire(now: ContinuousClock.Instant = .now) -> Duration? {
        state.withLock { state in
            let elapsed = now - state.updated
            if elapsed > .zero {
                let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
                state.tokens = min(capacity, state.tokens + seconds * rate)
                state.updated = now
            }
            if state.tokens >= 1 {
                state.tokens -= 1
                return nil
            }
            return .seconds((1 - state.tokens) / rate)
        }
    }
}
