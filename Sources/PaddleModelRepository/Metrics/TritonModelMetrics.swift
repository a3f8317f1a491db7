import KServeProtocol
import Prometheus

/// Triton's per-model inference metrics under Triton's own names, labels and types, so that Triton's Grafana
/// dashboards and `perf_analyzer --collect-metrics` read this server as they read Triton:
///
/// - counters `nv_inference_request_success{model,version}`,
///   `nv_inference_request_failure{model,reason,version}` (`reason` one of `REJECTED`, `CANCELED`, `BACKEND`,
///   `OTHER`), `nv_inference_count{model,version}` (inferences: a batch of n counts n),
///   `nv_inference_exec_count{model,version}` (engine runs: a dynamic batch of requests counts once);
/// - cumulative microsecond counters of successful requests, as Triton keeps them:
///   `nv_inference_request_duration_us`, `nv_inference_queue_duration_us`,
///   `nv_inference_compute_input_duration_us` (decoding), `nv_inference_compute_infer_duration_us` (the engine run),
///   `nv_inference_compute_output_duration_us` (building the response);
/// - the gauge `nv_inference_pending_request_count{model,version}` (calls waiting for a predictor, set when
///   metrics are scraped).
///
/// Thread-safe: every collector is atomic.
public struct TritonModelMetrics: Sendable {
    /// The values of Triton's `reason` label on `nv_inference_request_failure`.
    public enum FailureReason: String, Sendable, CaseIterable {
        /// Refused before it ran: rate limit, overload, deadline passed in the queue.
        case rejected = "REJECTED"
        /// Cancelled: the model shut down while the request waited.
        case canceled = "CANCELED"
        /// The engine failed.
        case backend = "BACKEND"
        /// Anything else, for example inputs that do not fit the model.
        case other = "OTHER"

        /// The reason Triton would give for `error`.
        public init(_ error: ServingError) {
            switch error.status.code {
            case 429: self = .rejected
            case 503:
                self = error.isDeadlineExceeded || error.message.contains("overloaded") ? .rejected : .canceled
            case 500...: self = .backend
            default: self = .other
            }
        }
    }

    let success: Counter
    let failures: [FailureReason: Counter]
    let inferenceCount: Counter
    let executionCount: Counter
    let requestDuration: Counter
    let queueDuration: Counter
    let computeInputDuration: Counter
    let computeInferDuration: Counter
    let computeOutputDuration: Counter
    let pending: Gauge

    init(registry: PrometheusCollectorRegistry, model: String, version: Int) {
        let labels = [("model", model), ("version", String(version))]
        func counter(_ name: String, _ help: String) -> Counter {
            registry.makeCounter(name: name, labels: labels, help: help)
        }
        success = counter("nv_inference_request_success", "Number of successful inference requests, all batch sizes")
        var failures: [FailureReason: Counter] = [:]
        for reason in FailureReason.allCases {
            failures[reason] = registry.makeCounter(
                name: "nv_inference_request_failure",
                labels: [("model", model), ("reason", reason.rawValue), ("version", String(version))],
                help: "Number of failed inference requests, all batch sizes")
        }
        self.failures = failures
        inferenceCount = counter("nv_inference_count", "Number of inferences performed (does not include cached requests)")
        executionCount = counter(
            "nv_inference_exec_count", "Number of model executions performed (does not include cached requests)")
        requestDuration = counter(
            "nv_inference_request_duration_us",
            "Cumulative inference request duration in microseconds (includes cached requests)")
        queueDuration = counter(
            "nv_inference_queue_duration_us",
            "Cumulative inference queuing duration in microseconds (includes cached requests)")
        computeInputDuration = counter(
            "nv_inference_compute_input_duration_us",
            "Cumulative compute input duration in microseconds (does not include cached requests)")
        computeInferDuration = counter(
            "nv_inference_compute_infer_duration_us",
            "Cumulative compute inference duration in microseconds (does not include cached requests)")
        computeOutputDuration = counter(
            "nv_inference_compute_output_duration_us",
            "Cumulative inference compute output duration in microseconds (does not include cached requests)")
        pending = registry.makeGauge(
            name: "nv_inference_pending_request_count", labels: labels,
            help: "Instantaneous number of pending requests awaiting execution per-model.")
    }

    /// Records one successful request of `batchSize` inferences and its times.
    func recordSuccess(
        batchSize: Int, total: Duration, queue: Duration, input: Duration, infer: Duration, output: Duration
    ) {
        success.increment()
        inferenceCount.increment(by: Int64(batchSize))
        requestDuration.increment(by: total.nanoseconds / 1000)
        queueDuration.increment(by: queue.nanoseconds / 1000)
        computeInputDuration.increment(by: input.nanoseconds / 1000)
        computeInferDuration.increment(by: infer.nanoseconds / 1000)
        computeOutputDuration.increment(by: output.nanoseconds / 1000)
    }

    /// Records one failed request.
    func recordFailure(_ error: ServingError) {
        failures[FailureReason(error)]?.increment()
    }
}
