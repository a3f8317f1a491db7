import KServeProtocol
import Prometheus

/// The Prometheus metrics of one server: a registry, and the collectors of each model version.
///
/// The registry is this object's own (not the process-wide `MetricsSystem`), so several servers can live in one
/// process, as tests need. `GET /metrics` renders ``render()``.
public final class ServingMetrics: Sendable {
    /// The registry every collector is registered with.
    public let registry: PrometheusCollectorRegistry

    /// Metrics in `registry` (by default a new one of their own).
    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
    }

    /// Latency buckets from 100 µs to 60 s.
    package static let durationBuckets: [Duration] = [
        .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10), .seconds(30),
        .seconds(60),
    ]

    static let batchBuckets: [Double] = [1, 2, 4, 8, 16, 32, 64, 128]

    /// The collectors for one model version.
    public func model(name: String, version: Int) -> ModelMetrics {
        ModelMetrics(registry: registry, labels: [("model", name), ("version", String(version))])
    }

    /// The exposition text of every metric.
    public func render() -> [UInt8] {
        registry.emitToBuffer()
    }
}

/// The collectors of one model version.
public struct ModelMetrics: Sendable {
    let success: Counter
    let failure: Counter
    let requestDuration: DurationHistogram
    let queueDuration: DurationHistogram
    let computeDuration: DurationHistogram
    let batchSize: ValueHistogram
    let poolSize: Gauge
    let poolBusy: Gauge
    let poolQueued: Gauge
    let rateLimited: Counter

    init(registry: PrometheusCollectorRegistry, labels: [(String, String)]) {
        func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(namespace: "paddle", metricName: metric, unitName: unit, helpText: help)
        }
        success = registry.makeCounter(
            descriptor: name("inference_success", "total", "Inference requests answered successfully"), labels: labels)
        failure = registry.makeCounter(
            descriptor: name("inference_failure", "total", "Inference requests that failed"), labels: labels)
        rateLimited = registry.makeCounter(
            descriptor: name("inference_rate_limited", "total", "Inference requests refused by the rate limit"),
            labels: labels)
        requestDuration = registry.makeDurationHistogram(
            descriptor: name("inference_request_duration", "seconds", "Time from request to response"),
            labels: labels, buckets: ServingMetrics.durationBuckets)
        queueDuration = registry.makeDurationHistogram(
            descriptor: name("inference_queue_duration", "seconds", "Time waiting for a predictor or a batch"),
            labels: labels, buckets: ServingMetrics.durationBuckets)
        computeDuration = registry.makeDurationHistogram(
            descriptor: name("inference_compute_duration", "seconds", "Time running the engine"),
            labels: labels, buckets: ServingMetrics.durationBuckets)
        batchSize = registry.makeValueHistogram(
            descriptor: name("inference_batch_size", "requests", "Batch size of each engine run"),
            labels: labels, buckets: ServingMetrics.batchBuckets)
        poolSize = registry.makeGauge(
            descriptor: name("pool_size", "predictors", "Predictors in the model's pool"), labels: labels)
        poolBusy = registry.makeGauge(
            descriptor: name("pool_busy", "predictors", "Predictors running now"), labels: labels)
        poolQueued = registry.makeGauge(
            descriptor: name("pool_queued", "requests", "Calls waiting for a predictor"), labels: labels)
    }
}
