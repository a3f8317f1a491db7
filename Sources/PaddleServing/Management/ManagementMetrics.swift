import Prometheus

/// The Prometheus metrics of model management, in the server's registry: loads by result, requests routed to
/// each version, and whether each version is serving.
///
/// - `paddle_model_loads_total{model,version,result="success|failure"}`
/// - `paddle_model_routed_total{model,version,reason="pinned|sticky|weighted|latest"}`
/// - `paddle_model_version_ready{model,version}` (1 serving, 0 not)
public struct ManagementMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry

    public init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    /// Counts one load of `model` version `version`.
    public func recordLoad(model: String, version: Int, success: Bool) {
        registry.makeCounter(
            descriptor: Self.name("model_loads", "total", "Model version loads by result"),
            labels: [("model", model), ("version", String(version)), ("result", success ? "success" : "failure")]
        ).increment()
    }

    /// Counts one request routed to `model` version `version`.
    public func recordRoute(model: String, version: Int, reason: RouteReason) {
        registry.makeCounter(
            descriptor: Self.name("model_routed", "total", "Requests routed to each model version"),
            labels: [("model", model), ("version", String(version)), ("reason", reason.rawValue)]
        ).increment()
    }

    /// Sets whether `model` version `version` is serving.
    public func setReady(model: String, version: Int, _ ready: Bool) {
        registry.makeGauge(
            descriptor: Self.name("model_version_ready", "", "1 when the model version serves requests"),
            labels: [("model", model), ("version", String(version))]
        ).set(Double(ready ? 1 : 0))
    }

    private static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "paddle", metricName: metric, unitName: unit, helpText: help)
    }
}
