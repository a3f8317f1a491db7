import KServeProtocol
import Prometheus

/// The Prometheus metrics of one server: its registries, and the collectors of each model version.
///
/// The registries are this object's own (not the process-wide `MetricsSystem`), so several servers can live in one
/// process, as tests need. `GET /metrics` renders ``render()``: the `paddle_*` metrics, Triton's `nv_*` metrics or
/// both, as ``format`` says, and the `process_*` metrics in every format.
public final class ServingMetrics: Sendable {
    /// The registry of the `paddle_*` collectors (models, management, gRPC, OCR).
    public let registry: PrometheusCollectorRegistry
    /// Which names ``render()`` exports.
    public let format: MetricsFormat
    /// The registry of Triton's `nv_*` collectors (empty unless ``format`` includes them).
    public let tritonRegistry = PrometheusCollectorRegistry()
    /// The `process_*` collectors.
    public let process = ProcessMetrics()
    private let tritonSystem: TritonSystemMetrics?

    /// Metrics exporting `format`'s names, with `registry` for the `paddle_*` collectors.
    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(), format: MetricsFormat = .paddle) {
        self.registry = registry
        self.format = format
        tritonSystem = format.includesTriton ? TritonSystemMetrics(registry: tritonRegistry) : nil
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
        ModelMetrics(
            registry: registry, labels: [("model", name), ("version", String(version))],
            triton: format.includesTriton
                ? TritonModelMetrics(registry: tritonRegistry, model: name, version: version) : nil)
    }

    /// The exposition text (Prometheus text format 0.0.4) of the metrics ``format`` names and the `process_*`
    /// metrics, read now from `/proc`.
    public func render() -> [UInt8] {
        var buffer: [UInt8] = []
        if format.includesPaddle { registry.emit(into: &buffer) }
        if let tritonSystem {
            tritonSystem.refresh()
            tritonRegistry.emit(into: &buffer)
        }
        process.refresh()
        process.registry.emit(into: &buffer)
        return buffer
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
    /// Triton's names for the same events, when the format exports them.
    let triton: TritonModelMetrics?

    init(registry: PrometheusCollectorRegistry, labels: [(String, String)], triton: TritonModelMetrics?) {
        self.triton = triton
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

extension ModelMetrics {
    /// Records one request that succeeded, with `batchSize` inferences, and its times.
    func recordSuccess(
        batchSize: Int, total: Duration, queue: Duration, input: Duration, infer: Duration, output: Duration
    ) {
        success.increment()
        requestDuration.record(total)
        queueDuration.record(queue)
        computeDuration.record(infer)
        triton?.recordSuccess(batchSize: batchSize, total: total, queue: queue, input: input, infer: infer, output: output)
    }

    /// Records one request that failed with `error` after `total`.
    func recordFailure(_ error: ServingError, total: Duration) {
        failure.increment()
        requestDuration.record(total)
        triton?.recordFailure(error)
    }

    /// Records one engine run of `batchSize` inferences.
    func recordExecution(batchSize: Int) {
        self.batchSize.record(Double(batchSize))
        triton?.executionCount.increment()
    }

    /// Sets the pool gauges.
    func setPool(size: Int, busy: Int, queued: Int) {
        poolSize.set(Double(size))
        poolBusy.set(Double(busy))
        poolQueued.set(Double(queued))
        triton?.pending.set(Double(queued))
    }
}
