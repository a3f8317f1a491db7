import Prometheus

/// The Prometheus metrics of many-model serving, in the server's registry: memory per version, on-demand hits and
/// misses, evictions, and the optimized-program cache.
///
/// - `paddle_model_memory_bytes{model,version}`: a loaded version's measured memory (0 once unloaded);
/// - `paddle_model_memory_used_bytes` and `paddle_model_memory_budget_bytes` (the budget, when there is one);
/// - `paddle_model_memory_base_bytes` (the server's RSS with the runtime and no model, from the first load) and
///   `paddle_model_memory_load_peak_bytes` (the largest transient of a load), which on-demand loads are held to;
/// - `paddle_model_evictions_total`: idle on-demand models unloaded to make room;
/// - `paddle_model_residency_total{result="hit|miss"}`: requests on a model that was loaded (hit) or had to wait
///   for an on-demand load (miss);
/// - `paddle_model_optimization_cache_total{result="hit|miss"}`: loads that read the optimized program from the
///   cache, or ran the IR passes (and stored it).
///
/// Loads by reason are `paddle_model_loads_total{reason="eager|on_demand|reload"}` (``ManagementMetrics``).
public struct MemoryMetrics: Sendable {
    /// The registry the metrics live in.
    public let registry: PrometheusCollectorRegistry
    private let evictions: Counter
    private let hits: Counter
    private let misses: Counter
    private let used: Gauge

    /// Registers the metrics in `registry`.
    public init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        evictions = registry.makeCounter(
            name: "paddle_model_evictions_total", help: "Idle on-demand models unloaded to make room in the memory budget")
        hits = registry.makeCounter(
            name: "paddle_model_residency_total", labels: [("result", "hit")],
            help: "Requests on a loaded model (hit) or waiting for an on-demand load (miss)")
        misses = registry.makeCounter(
            name: "paddle_model_residency_total", labels: [("result", "miss")],
            help: "Requests on a loaded model (hit) or waiting for an on-demand load (miss)")
        used = registry.makeGauge(
            name: "paddle_model_memory_used_bytes", help: "Measured memory of every loaded model version")
    }

    /// Publishes the budget (once, at start-up).
    func setBudget(_ bytes: Int) {
        registry.makeGauge(name: "paddle_model_memory_budget_bytes", help: "The memory budget of loaded models")
            .set(Double(bytes))
    }

    /// Publishes the server's RSS without models (``MemoryBudget/baseBytes``, once known) and the largest transient
    /// of a load (``MemoryBudget/loadPeakBytes``).
    func setBase(_ bytes: Int?, loadPeak: Int) {
        guard let bytes else { return }
        registry.makeGauge(
            name: "paddle_model_memory_base_bytes",
            help: "Server RSS with the engine runtime loaded and no model version (taken at the first load)"
        ).set(Double(bytes))
        registry.makeGauge(
            name: "paddle_model_memory_load_peak_bytes",
            help: "Largest transient RSS growth during one model load above the RSS after it"
        ).set(Double(loadPeak))
    }

    /// Sets a version's measured memory (0 when unloaded) and the total.
    func setMemory(model: String, version: Int, bytes: Int, total: Int) {
        registry.makeGauge(
            name: "paddle_model_memory_bytes", labels: [("model", model), ("version", String(version))],
            help: "Measured memory of a loaded model version"
        ).set(Double(bytes))
        used.set(Double(total))
    }

    /// Counts one eviction.
    func recordEviction() { evictions.increment() }

    /// Counts a request that found its model loaded (`true`) or waited for a load.
    func recordResidency(hit: Bool) { (hit ? hits : misses).increment() }

    /// Counts what a load did with the optimized-program cache: `hit` for ``OptimizationCacheOutcome/hit``, `miss`
    /// for the rest.
    func recordOptimizationCache(hit: Bool) {
        registry.makeCounter(
            name: "paddle_model_optimization_cache_total", labels: [("result", hit ? "hit" : "miss")],
            help: "Model loads that read their optimized program from the cache (hit) or ran the IR passes (miss)"
        ).increment()
    }
}
