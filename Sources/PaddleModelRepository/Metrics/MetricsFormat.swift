/// Which metric names `GET /metrics` exports.
///
/// The `process_*` metrics (``ProcessMetrics``) are exported in every format.
public enum MetricsFormat: String, Sendable, CaseIterable {
    /// The `paddle_*` names only (the default).
    case paddle
    /// Triton's `nv_*` names only (``TritonModelMetrics``, ``TritonSystemMetrics``), for Triton's Grafana
    /// dashboards and `perf_analyzer --collect-metrics`.
    case triton
    /// Both sets side by side.
    case both

    /// Whether the `paddle_*` metrics are exported.
    public var includesPaddle: Bool { self != .triton }
    /// Whether Triton's `nv_*` metrics are exported (and recorded: with ``paddle`` they are not even counted).
    public var includesTriton: Bool { self != .paddle }
}
