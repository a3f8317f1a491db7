import Prometheus
import Synchronization

/// Triton's CPU metrics, with Triton's meaning: system-wide figures from `/proc/stat` and `/proc/meminfo` (Linux;
/// elsewhere they stay absent), read when metrics are scraped:
///
/// - `nv_cpu_utilization`: the share of CPU time all cores spent busy (not idle nor waiting for I/O), 0.0 to 1.0,
///   since the previous scrape (the first scrape: since boot), where Triton measures per polling interval;
/// - `nv_cpu_memory_total_bytes`: the machine's memory (`MemTotal`);
/// - `nv_cpu_memory_used_bytes`: memory in use, `MemTotal - MemAvailable`.
///
/// All three are gauges without labels. Thread-safe: a scrape takes one lock.
public final class TritonSystemMetrics: Sendable {
    private let utilization: Gauge
    private let memoryTotal: Gauge
    private let memoryUsed: Gauge
    /// The busy and total jiffies at the previous scrape.
    private let previous = Mutex<(busy: Double, total: Double)>((0, 0))

    init(registry: PrometheusCollectorRegistry) {
        utilization = registry.makeGauge(name: "nv_cpu_utilization", help: "CPU utilization rate [0.0 - 1.0]")
        memoryTotal = registry.makeGauge(name: "nv_cpu_memory_total_bytes", help: "CPU total memory (RAM), in bytes")
        memoryUsed = registry.makeGauge(name: "nv_cpu_memory_used_bytes", help: "CPU used memory (RAM), in bytes")
    }

    /// Reads `/proc/stat` and `/proc/meminfo` and updates the gauges.
    func refresh() {
        if let line = ProcFile.systemStat("cpu") {
            // user nice system idle iowait irq softirq steal (guest time is already inside user and nice).
            let times = line.split(separator: " ").prefix(8).map { Double($0) ?? 0 }
            if times.count == 8 {
                let total = times.reduce(0, +)
                let busy = total - times[3] - times[4]
                let rate = previous.withLock { previous -> Double? in
                    defer { previous = (busy, total) }
                    let elapsed = total - previous.total
                    return elapsed > 0 ? (busy - previous.busy) / elapsed : nil
                }
                if let rate { utilization.set(min(max(rate, 0), 1)) }
            }
        }
        if let meminfo = ProcFile.text(of: "/proc/meminfo"),
            let total = ProcFile.meminfoBytes(meminfo, key: "MemTotal"),
            let available = ProcFile.meminfoBytes(meminfo, key: "MemAvailable")
        {
            memoryTotal.set(total)
            memoryUsed.set(total - available)
        }
    }
}
