import KServeProtocol
import Prometheus
import Synchronization

/// The Prometheus metrics of model management, in the server's registry: loads by result, requests routed to
/// each version, and whether each version is serving.
///
/// - `paddle_model_loads_total{model,version,result="success|failure",reason="eager|on_demand|reload"}`
/// - `paddle_model_routed_total{model,version,reason="pinned|sticky|weighted|latest"}`
/// - `paddle_model_version_ready{model,version}` (1 serving, 0 not)
public struct ManagementMetrics: Sendable {
    /// The registry the metrics live in.
    public let registry: PrometheusCollectorRegistry
    /// The routing counters made so far (one registry look-up per model, version and reason, not per request).
    private let routeCounters = RouteCounters()

    /// The metrics, in `registry`.
    public init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    /// Counts one load of `model` version `version`, made for `reason` (`eager`, `on_demand` or `reload`).
    public func recordLoad(model: String, version: Int, success: Bool, reason: String = "eager") {
        registry.makeCounter(
            descriptor: Self.name("model_loads", "total", "Model version loads by result"),
            labels: [
                ("model", model), ("version", String(version)), ("result", success ? "success" : "failure"),
                ("reason", reason),
            ]
        ).increment()
    }

    /// Counts one request routed to `model` version `version`.
    public func recordRoute(model: String, version: Int, reason: RouteReason) {
        let key = RouteCounters.Key(model: model, version: version, reason: reason)
        if let counter = routeCounters.counters.withLock({ $0[key] }) {
            counter.increment()
            return
        }
        let counter = registry.makeCounter(
            descriptor: Self.name("model_routed", "total", "Requests routed to each model version"),
            labels: [("model", model), ("version", String(version)), ("reason", reason.rawValue)])
        routeCounters.counters.withLock { $0[key] = counter }
        counter.increment()
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

/// The counters of ``ManagementMetrics/recordRoute(model:version:reason:)``, by label values.
private final class RouteCounters: Sendable {
    struct Key: Hashable {
        let model: String
        let version: Int
        let reason: RouteReason
    }

    let counters = Mutex<[Key: Counter]>([:])
}
