import Prometheus

/// The Prometheus collectors of `POST /v1/waybill`, registered with the server's registry next to `/v1/ocr`'s:
///
/// - `paddle_waybill_requests_total{outcome="success|rejected|failed"}`: answered with 2xx, 4xx, 5xx;
/// - `paddle_waybill_request_duration_seconds`: time from request to response, successes only;
/// - `paddle_waybill_stage_duration_seconds{stage="decode|det|cls|rec|upright|read|total"}`: each stage per image,
///   summed over the OCR passes (`total` = det + cls + rec, as in the response's `timings`);
/// - `paddle_waybill_ocr_passes_total{passes="1|2"}`: images read in one pass, or again after turning upright.
struct WaybillMetrics: Sendable {
    let route: RouteMetrics
    let onePass: Counter
    let twoPasses: Counter

    static let stageNames = ["decode", "det", "cls", "rec", "upright", "read", "total"]

    init(registry: PrometheusCollectorRegistry) {
        route = RouteMetrics(
            registry: registry, route: "waybill",
            requestsHelp: "Waybill requests by outcome (success 2xx, rejected 4xx, failed 5xx)",
            durationHelp: "Time from waybill request to response", stages: Self.stageNames,
            stageHelp: "Time of each waybill stage per image, over its OCR passes")
        let passes = RouteMetrics.name(
            "waybill_ocr_passes", "total", "Waybill images read in one OCR pass, or two (turned upright)")
        onePass = registry.makeCounter(descriptor: passes, labels: [("passes", "1")])
        twoPasses = registry.makeCounter(descriptor: passes, labels: [("passes", "2")])
    }

    /// Records a successful request: `timings` in seconds by stage name (see ``stageNames``).
    func recordSuccess(timings: [String: Double], passes: Int, duration: Duration) {
        route.recordSuccess(duration: duration)
        for (label, seconds) in timings { route.record(stage: label, seconds: seconds) }
        if passes > 1 { twoPasses.increment() } else { onePass.increment() }
    }

    /// Records a request answered with an error status.
    func recordFailure(status: Int) {
        route.recordFailure(status: status)
    }
}
