import PaddleModelRepository
import PaddleServing
import Prometheus

/// The Prometheus collectors of `POST /v1/waybill`, registered with the server's registry next to `/v1/ocr`'s:
///
/// - `paddle_waybill_requests_total{outcome="success|rejected|failed"}`: answered with 2xx, 4xx, 5xx;
/// - `paddle_waybill_request_duration_seconds`: time from request to response, successes only;
/// - `paddle_waybill_stage_duration_seconds{stage="decode|det|cls|rec|upright|read|total"}`: each stage per image,
///   summed over the OCR passes (`total` = det + cls + rec, as in the response's `timings`);
/// - `paddle_waybill_ocr_passes_total{passes="1|2"}`: images read in one pass, or again after turning upright.
struct WaybillMetrics: Sendable {
    let success: Counter
    let rejected: Counter
    let failed: Counter
    let requestDuration: DurationHistogram
    let stages: [String: DurationHistogram]
    let onePass: Counter
    let twoPasses: Counter

    static let stageNames = ["decode", "det", "cls", "rec", "upright", "read", "total"]

    init(registry: PrometheusCollectorRegistry) {
        func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(namespace: "paddle", metricName: metric, unitName: unit, helpText: help)
        }
        let requests = name("waybill_requests", "total", "Waybill requests by outcome (success 2xx, rejected 4xx, failed 5xx)")
        success = registry.makeCounter(descriptor: requests, labels: [("outcome", "success")])
        rejected = registry.makeCounter(descriptor: requests, labels: [("outcome", "rejected")])
        failed = registry.makeCounter(descriptor: requests, labels: [("outcome", "failed")])
        requestDuration = registry.makeDurationHistogram(
            descriptor: name("waybill_request_duration", "seconds", "Time from waybill request to response"), labels: [],
            buckets: ServingMetrics.durationBuckets)
        let stage = name("waybill_stage_duration", "seconds", "Time of each waybill stage per image, over its OCR passes")
        var stages: [String: DurationHistogram] = [:]
        for label in Self.stageNames {
            stages[label] = registry.makeDurationHistogram(
                descriptor: stage, labels: [("stage", label)], buckets: ServingMetrics.durationBuckets)
        }
        self.stages = stages
        let passes = name("waybill_ocr_passes", "total", "Waybill images read in one OCR pass, or two (turned upright)")
        onePass = registry.makeCounter(descriptor: passes, labels: [("passes", "1")])
        twoPasses = registry.makeCounter(descriptor: passes, labels: [("passes", "2")])
    }

    /// Records a successful request: `timings` in seconds by stage name (see ``stageNames``).
    func recordSuccess(timings: [String: Double], passes: Int, duration: Duration) {
        success.increment()
        requestDuration.record(duration)
        for (label, seconds) in timings {
            stages[label]?.record(.nanoseconds(Int64((seconds * 1e9).rounded())))
        }
        if passes > 1 { twoPasses.increment() } else { onePass.increment() }
    }

    /// Records a request answered with an error status.
    func recordFailure(status: Int) {
        if status >= 500 { failed.increment() } else { rejected.increment() }
    }
}
