#if canImport(Glibc)
import Glibc
#endif
import Logging

/// Memory tuning of gperftools' tcmalloc, which the command links in place of glibc's malloc (Package.swift).
///
/// tcmalloc keeps freed pages for reuse and returns them to the system slowly. A server whose models see new input
/// shapes all the time frees and allocates large buffers in ever-new sizes, so its resident memory creeps up
/// although nothing leaks: the soak measured +20 % RSS over the last two thirds of 10 minutes with the default,
/// and -14 % (pages given back) with aggressive decommit, at the same throughput (docs/soak.md). `serve` therefore
/// turns aggressive decommit on, unless `TCMALLOC_AGGRESSIVE_DECOMMIT` says otherwise.
enum AllocatorTuning {
    /// Turns tcmalloc's aggressive decommit on (through its C API, looked up at run time so that a build without
    /// tcmalloc simply skips it) and logs what was done.
    static func decommitFreedPages(logger: Logger) {
        if let setting = getenv("TCMALLOC_AGGRESSIVE_DECOMMIT") {
            logger.debug("allocator: TCMALLOC_AGGRESSIVE_DECOMMIT=\(String(cString: setting)) from the environment")
            return
        }
        typealias SetProperty = @convention(c) (UnsafePointer<CChar>, Int) -> Int32
        // RTLD_DEFAULT (a null handle): every library the process has loaded.
        guard let symbol = dlsym(nil, "MallocExtension_SetNumericProperty") else {
            logger.debug("allocator: not tcmalloc; nothing to tune")
            return
        }
        typealias GetProperty = @convention(c) (UnsafePointer<CChar>, UnsafeMutablePointer<Int>) -> Int32
        let set = unsafeBitCast(symbol, to: SetProperty.self)
        guard set("tcmalloc.aggressive_memory_decommit", 1) != 0 else {
            logger.notice("allocator: tcmalloc did not accept aggressive decommit; freed pages are kept for reuse")
            return
        }
        var value = 0
        if let getter = dlsym(nil, "MallocExtension_GetNumericProperty") {
            _ = unsafeBitCast(getter, to: GetProperty.self)("tcmalloc.aggressive_memory_decommit", &value)
        }
        logger.debug("allocator: tcmalloc aggressive decommit \(value == 1 ? "on" : "set, but reads \(value)")")
    }
}
