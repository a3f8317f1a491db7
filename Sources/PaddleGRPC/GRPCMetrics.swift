import GRPCCore
import Prometheus
import Synchronization

/// The gRPC server's Prometheus collectors, on the serving metrics' registry (so `GET /metrics` shows them):
///
/// - `paddle_protocol_requests_total{protocol="grpc",method,code}`: calls (stream messages for
///   `ModelStreamInfer`) by method and gRPC status code;
/// - `paddle_protocol_request_duration_seconds{protocol="grpc",method}`: their durations.
///
/// The per-model collectors (`paddle_inference_*`) count requests of every protocol, as the model instance records
/// them. Thread-safe.
final class GRPCMetrics: Sendable {
    private let registry: PrometheusCollectorRegistry
    private let collectors = Mutex<[String: (Counter?, DurationHistogram?)]>([:])

    static let buckets: [Duration] = [
        .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2.5),
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10), .seconds(30),
    ]

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    /// Records one call of `method` that ended with `code` (`nil` for OK), started at `start`.
    func record(method: String, code: RPCError.Code?, since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        let codeName = code.map { "\($0)" } ?? "ok"
        let (counter, histogram) = collectors.withLock { cache -> (Counter, DurationHistogram) in
            let counterKey = method + "/" + codeName
            let counter: Counter
            if let cached = cache[counterKey]?.0 {
                counter = cached
            } else {
                counter = registry.makeCounter(
                    name: "paddle_protocol_requests_total",
                    labels: [("protocol", "grpc"), ("method", method), ("code", codeName)],
                    help: "Requests by protocol, method and status")
                cache[counterKey] = (counter, nil)
            }
            let histogram: DurationHistogram
            if let cached = cache[method]?.1 {
                histogram = cached
            } else {
                histogram = registry.makeDurationHistogram(
                    name: "paddle_protocol_request_duration_seconds",
                    labels: [("protocol", "grpc"), ("method", method)], buckets: Self.buckets,
                    help: "Time from request to response by protocol and method")
                cache[method] = (nil, histogram)
            }
            return (counter, histogram)
        }
        counter.increment()
        histogram.record(elapsed)
    }
}
