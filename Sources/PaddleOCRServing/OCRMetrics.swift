import PaddleOCR
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
    let route: RouteMetrics
    let recognisedLines: Counter
    let returnedLines: Counter

    init(registry: PrometheusCollectorRegistry) {
        route = RouteMetrics(
            registry: registry, route: "ocr",
            requestsHelp: "OCR requests by outcome (success 2xx, rejected 4xx, failed 5xx)",
            durationHelp: "Time from OCR request to response", stages: ["decode", "det", "cls", "rec", "total"],
            stageHelp: "Time of each OCR pipeline stage per image")
        let lines = RouteMetrics.name("ocr_lines", "total", "Text lines recognised, and returned after the filter")
        recognisedLines = registry.makeCounter(descriptor: lines, labels: [("kind", "recognised")])
        returnedLines = registry.makeCounter(descriptor: lines, labels: [("kind", "returned")])
    }

    /// Records a successful request.
    func recordSuccess(timings: OCRTimings, decode seconds: Double, recognised: Int, returned: Int, duration: Duration) {
        route.recordSuccess(duration: duration)
        route.record(stage: "decode", seconds: seconds)
        route.record(stage: "det", seconds: timings.detection)
        route.record(stage: "cls", seconds: timings.classification)
        route.record(stage: "rec", seconds: timings.recognition)
        route.record(stage: "total", seconds: timings.total)
        recognisedLines.increment(by: Int64(recognised))
        returnedLines.increment(by: Int64(returned))
    }

    /// Records a request answered with an error status.
    func recordFailure(status: Int) {
        route.recordFailure(status: status)
    }
}
