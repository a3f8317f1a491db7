import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The memory the loaded model versions take, against the server's budget (`serve --memory-budget-mb`), and the
/// least-recently-used order in which idle on-demand models are evicted to make room.
///
/// **Accounting.** Each version is measured at load: the growth of the process's resident set (RSS) from just before
/// its predictors are created to just after its warm-up run, with loads running one at a time
/// (``residentBytes()``). The engine allocates a version's weights, program, scope and oneDNN kernels during those
/// steps, so the delta is that version's own memory. It is floored at the calibrated estimate
/// (``estimatedBytes(fileBytes:versions:)``), because memory that a freed model left in the allocator may be
/// reused without the RSS growing, and a version loaded without warm-up allocates its first run's memory later. Requests running on other models meanwhile can add to a delta, which errs
/// on the side of evicting early.
///
/// **Estimate before a load.** A model that was measured before (then evicted) is estimated at its last
/// measurement; one never loaded at ``estimatedBytes(fileBytes:versions:)``: its files' size times
/// ``fileSizeFactor``, plus ``perVersionOverhead`` (both measured on the tiny models of `bench/many-models`; see
/// `docs/benchmarks.md`). A load is admitted when the resident total plus its estimate fits the budget.
///
/// **The process's real memory.** The accounting alone does not bound the process: a model's first runs, the
/// engine's per-thread state and memory the allocator has not returned yet all add to the RSS without being in any
/// version's measurement (`docs/benchmarks.md`, section 10). So, when versions are measured by RSS, an on-demand
/// load is also held to the RSS itself: the allocator's free memory is returned, and idle models are evicted until
/// the RSS above ``baseBytes`` (the server with the runtime loaded and no model, taken at the first load) plus the
/// load's estimate and the largest transient peak a load has shown (``loadPeakBytes``) fit the budget
/// (``admits(_:residentNow:)``). Loads run one at a time, so the RSS stays under base + budget + one model's error.
///
/// Thread-safe: one lock, never held across an `await`.
public final class MemoryBudget: Sendable {
    /// The budget in bytes, or `nil` for none (then nothing is evicted, but memory is still measured).
    public let limitBytes: Int?

    /// The factor applied to a never-loaded version's file size to estimate its memory.
    public static let fileSizeFactor = 2
    /// The memory a loaded version takes besides what scales with its files (program, scope, oneDNN, threads).
    public static let perVersionOverhead = 3 << 20

    private struct State {
        var resident: [ModelKey: Int] = [:]
        /// The last use of each model (a tick of ``touch(model:)``); a larger tick is more recent.
        var lastUse: [String: UInt64] = [:]
        var tick: UInt64 = 0
        /// The last measurement of each model's versions, kept after an eviction as the next load's estimate.
        var measured: [String: Int] = [:]
        /// The RSS of the server with the runtime loaded and no version, once a first load has shown it.
        var base: Int?
        /// The largest growth of the RSS above its level after a load that any load has shown while it ran.
        var loadPeak = 0
    }

    private let state = Mutex(State())

    /// Whether versions are measured by RSS growth (else by file size; see ``RepositoryOptions``).
    let measuresResidentSet: Bool

    /// A budget of `limitBytes` bytes (`nil`: no budget).
    public convenience init(limitBytes: Int?) {
        self.init(limitBytes: limitBytes, measuresResidentSet: true)
    }

    init(limitBytes: Int?, measuresResidentSet: Bool) {
        self.limitBytes = limitBytes
        self.measuresResidentSet = measuresResidentSet
    }

    /// The bytes to account for a version whose files take `fileBytes`, given the RSS before its load and after
    /// its warm-up: the RSS growth, floored at ``estimatedBytes(fileBytes:versions:)`` (the load's growth misses
    /// the first run when `warmup` is off, and memory reused from freed models). The first load (no
    /// ``baseBytes`` yet) is accounted at the estimate alone: its growth is mostly the runtime's start-up.
    func measured(fileBytes: Int, residentBefore: Int?, residentAfter: Int?) -> Int {
        guard measuresResidentSet, let residentBefore, let residentAfter else { return fileBytes }
        let estimate = Self.estimatedBytes(fileBytes: fileBytes)
        guard baseBytes != nil else { return estimate }
        return max(residentAfter - residentBefore, estimate)
    }

    /// The RSS of the server with the engine's runtime loaded and no model version: the RSS after the first load
    /// less that version's measurement (the first load maps and initialises the runtime, about 200 MiB); `nil`
    /// before any load.
    public var baseBytes: Int? { state.withLock { $0.base } }

    /// The largest transient a load has shown: its peak RSS (`VmHWM`, reset before the load) above its RSS once
    /// done. Counted in ``admits(_:residentNow:)`` so that a load's own peak stays within the budget.
    public var loadPeakBytes: Int { state.withLock { $0.loadPeak } }

    /// Records a finished load: the process's RSS `residentAfter` once its version is installed, the peak
    /// `peakDuring` it reached meanwhile, and the `accounted` bytes of the version. The first call sets
    /// ``baseBytes``.
    func recordLoad(residentAfter: Int?, peakDuring: Int?, accounted: Int) {
        guard measuresResidentSet, let residentAfter else { return }
        state.withLock { state in
            // The first load's peak includes the runtime's own start-up, which happens once.
            guard state.base != nil else {
                state.base = max(residentAfter - accounted, 0)
                return
            }
            if let peakDuring { state.loadPeak = max(state.loadPeak, peakDuring - residentAfter) }
        }
    }

    /// Whether a load expected to take `bytes` may start with the process at `residentNow` bytes of RSS: the
    /// accounting fits (``fits(_:)``) and, once ``baseBytes`` is known and versions are measured by RSS, the RSS
    /// above the base plus `bytes` and ``loadPeakBytes`` fits the budget too.
    public func admits(_ bytes: Int, residentNow: Int?) -> Bool {
        guard fits(bytes) else { return false }
        guard let limitBytes, measuresResidentSet, let residentNow else { return true }
        let (base, peak) = state.withLock { ($0.base, $0.loadPeak) }
        guard let base else { return true }
        return residentNow - base + bytes + peak <= limitBytes
    }

    /// The bytes the loaded versions take together.
    public var usedBytes: Int { state.withLock { $0.resident.values.reduce(0, +) } }

    /// The measured bytes of one loaded version, or `nil` when it is not loaded.
    public func bytes(of key: ModelKey) -> Int? { state.withLock { $0.resident[key] } }

    /// Every loaded version's measured bytes.
    public var resident: [ModelKey: Int] { state.withLock { $0.resident } }

    /// Records a use of `model` (every request): the most recently used model is evicted last.
    public func touch(model: String) {
        state.withLock { state in
            state.tick &+= 1
            state.lastUse[model] = state.tick
        }
    }

    /// Records that `key` is loaded and takes `bytes`.
    public func admit(_ key: ModelKey, bytes: Int) {
        state.withLock { state in
            state.resident[key] = bytes
            state.measured[key.name] = state.resident.filter { $0.key.name == key.name }.values.reduce(0, +)
            state.tick &+= 1
            state.lastUse[key.name] = state.tick
        }
    }

    /// Records that `key` is released.
    public func remove(_ key: ModelKey) {
        _ = state.withLock { $0.resident.removeValue(forKey: key) }
    }

    /// The bytes a load of `model` is expected to take: its last measurement, else ``estimatedBytes(fileBytes:versions:)``
    /// of `fileBytes` (the size of the files of the versions to load) for each of `versions` versions.
    public func expectedBytes(model: String, fileBytes: Int, versions: Int) -> Int {
        guard measuresResidentSet else { return fileBytes }
        return state.withLock { $0.measured[model] } ?? Self.estimatedBytes(fileBytes: fileBytes, versions: versions)
    }

    /// The estimate of a never-loaded model's memory from its files: `fileBytes` × ``fileSizeFactor`` +
    /// `versions` × ``perVersionOverhead``.
    public static func estimatedBytes(fileBytes: Int, versions: Int = 1) -> Int {
        fileBytes * fileSizeFactor + max(versions, 1) * perVersionOverhead
    }

    /// Whether `bytes` more fit the budget now (always with no budget).
    public func fits(_ bytes: Int) -> Bool {
        guard let limitBytes else { return true }
        return usedBytes + bytes <= limitBytes
    }

    /// The loaded models other than `excluding`, least recently used first, among which ``ModelManager`` picks
    /// the idle, evictable ones.
    public func leastRecentlyUsed(excluding: String) -> [String] {
        state.withLock { state in
            let names = Set(state.resident.keys.map(\.name)).subtracting([excluding])
            return names.sorted { (state.lastUse[$0] ?? 0, $0) < (state.lastUse[$1] ?? 0, $1) }
        }
    }

    /// The bytes `model`'s loaded versions take.
    public func bytes(ofModel model: String) -> Int {
        state.withLock { state in state.resident.filter { $0.key.name == model }.values.reduce(0, +) }
    }

    // MARK: Measuring

    /// The process's peak resident set size in bytes since the last `resetPeakResident()` (`VmHWM` in
    /// `/proc/self/status`), or `nil` where it cannot be read.
    public static func peakResidentBytes() -> Int? {
        ProcFile.text(of: "/proc/self/status").flatMap { ProcFile.meminfoBytes($0, key: "VmHWM") }.map { Int($0) }
    }

    /// Resets the kernel's peak RSS (`VmHWM`) to the current RSS (`5` to `/proc/self/clear_refs`), so that
    /// ``peakResidentBytes()`` measures from now on. Returns whether the kernel took it.
    @discardableResult
    static func resetPeakResident() -> Bool {
        guard let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") else { return false }
        defer { try? handle.close() }
        return (try? handle.write(contentsOf: Data("5".utf8))) != nil
    }

    /// The process's resident set size in bytes (`/proc/self/statm`), or `nil` where it cannot be read.
    public static func residentBytes() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * pageSize
    }

    private static let pageSize: Int = {
        #if canImport(Glibc)
            return Int(sysconf(Int32(_SC_PAGESIZE)))
        #else
            return 4096
        #endif
    }()

    /// Gives the allocator's free memory back to the system after an unload, so that the RSS follows the budget:
    /// gperftools' tcmalloc when the process uses it (`paddle-swift` links it), else glibc's arenas.
    static func returnFreedMemory() {
        if let releaseFreeMemory {
            releaseFreeMemory()
        } else {
            _ = mallocTrim?(0)
        }
    }

    /// tcmalloc's `MallocExtension_ReleaseFreeMemory`, looked up once; `nil` when the process does not use it.
    private static let releaseFreeMemory: (@convention(c) () -> Void)? = {
        #if canImport(Glibc)
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "MallocExtension_ReleaseFreeMemory") else {
                return nil
            }
            return unsafeBitCast(symbol, to: (@convention(c) () -> Void).self)
        #else
            return nil
        #endif
    }()

    /// glibc's `malloc_trim` (not in the Glibc module map), looked up once; `nil` on other C libraries.
    private static let mallocTrim: (@convention(c) (Int) -> Int32)? = {
        #if canImport(Glibc)
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return nil }
            return unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)
        #else
            return nil
        #endif
    }()

    /// The total size of the regular files in `folder` (not following links out of it).
    static func fileBytes(folder: String) -> Int {
        guard let enumerator = FileManager.default.enumerator(atPath: folder) else { return 0 }
        var total = 0
        for case let file as String in enumerator {
            let attributes = try? FileManager.default.attributesOfItem(atPath: folder + "/" + file)
            if attributes?[.type] as? FileAttributeType == .typeRegular {
                total += (attributes?[.size] as? NSNumber)?.intValue ?? 0
            }
        }
        return total
    }
}
