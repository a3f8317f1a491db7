import KServeProtocol
import PaddleModelRepository
import PaddleOCR
import PaddleServing
import Prometheus

/// The Prometheus collectors of `POST /v1/ocr`, registered with the server's registry (so `GET /metrics` shows
/// them next to the model metrics):
///
/// - `paddle_ocr_requests_total{outcome="success|rejected|failed"}`: answered with 2xx, 4xx, 5xx;
/// - `paddle_ocr_request_duration_seconds`: time from request to response, successes only;
/// - `paddle_ocr_stage_duration_seconds{stage="decode|det|cls|rec|total"}`: each pipeline stage, per image
///   (`total` = det + cls + rec, as in the response's `timings`);
/// - `paddle_ocr_lines_total{kind="recognised|returned"}`: lines before and after the `filter`.
struct OCRMetrics: Sendable {
    let success: Counter
    let rejected: Counter
    let failed: Counter
    let requestDuration: DurationHistogram
    let decode: DurationHistogram
    let detection: DurationHistogram
    let classification: DurationHistogram
    let recognition: DurationHistogram
    let total: DurationHistogram
    let recognisedLines: Counter
    let returnedLines: Counter

    init(registry: PrometheusCollectorRegistry) {
        func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(namespace: "paddle", metricName: metric, unitName: unit, helpText: help)
        }
        let requests = name("ocr_requests", "total", "OCR requests by outcome (success 2xx, rejected 4xx, failed 5xx)")
        success = registry.makeCounter(descriptor: requests, labels: [("outcome", "success")])
        rejected = registry.makeCounter(descriptor: requests, labels: [("outcome", "rejected")])
        failed = registry.makeCounter(descriptor: requests, labels: [("outcome", "failed")])
        requestDuration = registry.makeDurationHistogram(
            descriptor: name("ocr_request_duration", "seconds", "Time from OCR request to response"), labels: [],
            buckets: ServingMetrics.durationBuckets)
        let stage = name("ocr_stage_duration", "seconds", "Time of each OCR pipeline stage per image")
        func histogram(_ label: String) -> DurationHistogram {
            registry.makeDurationHistogram(descriptor: stage, labels: [("stage", label)], buckets: ServingMetrics.durationBuckets)
        }
        decode = histogram("decode")
        detection = histogram("det")
        classification = histogram("cls")
        recognition = histogram("rec")
        total = histogram("total")
        let lines = name("ocr_lines", "total", "Text lines recognised, and returned after the filter")
        recognisedLines = registry.makeCounter(descriptor: lines, labels: [("kind", "recognised")])
        returnedLines = registry.makeCounter(descriptor: lines, labels: [("kind", "returned")])
    }

    /// Records a successful request.
    func recordSuccess(timings: OCRTimings, decode seconds: Double, recognised: Int, returned: Int, duration: Duration) {
        success.increment()
        requestDuration.record(duration)
        decode.record(Self.duration(seconds))
        detection.record(Self.duration(timings.detection))
        classification.record(Self.duration(timings.classification))
        recognition.record(Self.duration(timings.recognition))
        total.record(Self.duration(timings.total))
        recognisedLines.increment(by: Int64(recognised))
        returnedLines.increment(by: Int64(returned))
    }

    /// Records a request answered with an error status.
    func recordFailure(status: Int) {
        if status >= 500 { failed.increment() } else { rejected.increment() }
    }

    private static func duration(_ seconds: Double) -> Duration { .nanoseconds(Int64((seconds * 1e9).rounded())) }
}
