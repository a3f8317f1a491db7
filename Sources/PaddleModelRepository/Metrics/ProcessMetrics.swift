import Prometheus
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The process metrics every Prometheus client library exports, under the same names and types, read from
/// `/proc/self` when metrics are scraped (Linux; elsewhere they stay absent):
///
/// - counter `process_cpu_seconds_total`: user and system CPU time;
/// - gauges `process_resident_memory_bytes`, `process_virtual_memory_bytes`, `process_open_fds`,
///   `process_max_fds` (the soft limit) and `process_start_time_seconds` (since the Unix epoch).
///
/// Thread-safe: a scrape takes one lock.
public final class ProcessMetrics: Sendable {
    /// The registry of the `process_*` collectors (this object's own).
    public let registry = PrometheusCollectorRegistry()
    private let cpuSeconds: Counter
    private let residentMemory: Gauge
    private let virtualMemory: Gauge
    private let openFDs: Gauge
    private let maxFDs: Gauge
    private let startTime: Gauge
    /// The CPU seconds already added to ``cpuSeconds`` (a counter only grows: each scrape adds the difference).
    private let countedCPUSeconds = Mutex<Double>(0)

    /// Makes the collectors; nothing is read until ``refresh()``.
    public init() {
        cpuSeconds = registry.makeCounter(
            name: "process_cpu_seconds_total", labels: [], help: "Total user and system CPU time spent in seconds.")
        residentMemory = registry.makeGauge(name: "process_resident_memory_bytes", help: "Resident memory size in bytes.")
        virtualMemory = registry.makeGauge(name: "process_virtual_memory_bytes", help: "Virtual memory size in bytes.")
        openFDs = registry.makeGauge(name: "process_open_fds", help: "Number of open file descriptors.")
        maxFDs = registry.makeGauge(name: "process_max_fds", help: "Maximum number of open file descriptors.")
        startTime = registry.makeGauge(
            name: "process_start_time_seconds", help: "Start time of the process since unix epoch in seconds.")
    }

    /// Reads `/proc/self` and updates every collector.
    public func refresh() {
        #if os(Linux)
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let pageSize = Double(sysconf(Int32(_SC_PAGESIZE)))
        if let fields = ProcFile.selfStatFields(), fields.count > 21, ticks > 0 {
            // proc(5): utime 14, stime 15, starttime 22, vsize 23, rss 24 (index = field - 3).
            let cpu = ((Double(fields[11]) ?? 0) + (Double(fields[12]) ?? 0)) / ticks
            countedCPUSeconds.withLock { counted in
                if cpu > counted {
                    cpuSeconds.increment(by: cpu - counted)
                    counted = cpu
                }
            }
            virtualMemory.set(Double(fields[20]) ?? 0)
            residentMemory.set((Double(fields[21]) ?? 0) * pageSize)
            if let bootTime = Self.bootTime, let started = Double(fields[19]) {
                startTime.set(bootTime + started / ticks)
            }
        }
        if let count = ProcFile.entryCount("/proc/self/fd") { openFDs.set(Double(count)) }
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 { maxFDs.set(Double(limit.rlim_cur)) }
        #endif
    }

    /// The system's boot time in seconds since the Unix epoch (`btime` of `/proc/stat`).
    private static let bootTime: Double? = {
        ProcFile.systemStat("btime").flatMap { Double($0.trimmingPrefix(while: { $0 == " " })) }
    }()
}
