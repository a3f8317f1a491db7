import PaddleModelRepository
import Prometheus

/// The collectors every image route has (`POST /v1/ocr`, `POST /v1/waybill`), registered with the server's
/// registry under `paddle_<route>_`:
///
/// - `paddle_<route>_requests_total{outcome="success|rejected|failed"}`: answered with 2xx, 4xx, 5xx;
/// - `paddle_<route>_request_duration_seconds`: time from request to response, successes only;
/// - `paddle_<route>_stage_duration_seconds{stage=...}`: each stage, per image.
///
/// The route's own collectors come from ``name(_:_:_:)``, in the same namespace.
struct RouteMetrics: Sendable {
    let success: Counter
    let rejected: Counter
    let failed: Counter
    let requestDuration: DurationHistogram
    /// The stage histograms by label.
    let stages: [String: DurationHistogram]

    /// The collectors of route `route` (`ocr`, `waybill`), with one stage histogram per label of `stages`.
    ///
    /// - Parameters:
    ///   - requestsHelp: The help of `paddle_<route>_requests_total`.
    ///   - durationHelp: The help of `paddle_<route>_request_duration_seconds`.
    ///   - stageHelp: The help of `paddle_<route>_stage_duration_seconds`.
    init(
        registry: PrometheusCollectorRegistry, route: String, requestsHelp: String, durationHelp: String,
        stages labels: [String], stageHelp: String
    ) {
        let requests = Self.name(route + "_requests", "total", requestsHelp)
        success = registry.makeCounter(descriptor: requests, labels: [("outcome", "success")])
        rejected = registry.makeCounter(descriptor: requests, labels: [("outcome", "rejected")])
        failed = registry.makeCounter(descriptor: requests, labels: [("outcome", "failed")])
        requestDuration = registry.makeDurationHistogram(
            descriptor: Self.name(route + "_request_duration", "seconds", durationHelp), labels: [],
            buckets: ServingMetrics.durationBuckets)
        let stage = Self.name(route + "_stage_duration", "seconds", stageHelp)
        var stages: [String: DurationHistogram] = [:]
        for label in labels {
            stages[label] = registry.makeDurationHistogram(
                descriptor: stage, labels: [("stage", label)], buckets: ServingMetrics.durationBuckets)
        }
        self.stages = stages
    }

    /// The name `paddle_<metric>_<unit>` with its help.
    static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "paddle", metricName: metric, unitName: unit, helpText: help)
    }

    /// Records a successful request that took `duration`.
    func recordSuccess(duration: Duration) {
        success.increment()
        requestDuration.record(duration)
    }

    /// Records `seconds` spent in stage `label`.
    func record(stage label: String, seconds: Double) {
        stages[label]?.record(.nanoseconds(Int64((seconds * 1e9).rounded())))
    }

    /// Records a request answered with an error status.
    func recordFailure(status: Int) {
        if status >= 500 { failed.increment() } else { rejected.increment() }
    }
}
