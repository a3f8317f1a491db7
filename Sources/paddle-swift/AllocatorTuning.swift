#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging

/// Memory tuning of gperftools' tcmalloc, which the command links in place of glibc's malloc (Package.swift).
///
/// tcmalloc keeps freed pages for reuse and returns them to the system slowly. A server whose models see new input
/// shapes all the time frees and allocates large buffers in ever-new sizes, so its resident memory creeps up
/// although nothing leaks: the soak measured +20 % RSS over the last two thirds of 10 minutes with the default
/// (docs/soak.md). Two cures were measured:
/// - tcmalloc's aggressive decommit (every freed span goes back at once) keeps RSS flat, but costs 5-9 % of the
///   server's throughput, because the engine's buffers are faulted in again on every run
///   (`bench/server/ab.sh`, docs/benchmarks.md);
/// - returning the free pages every few seconds from a thread of its own keeps RSS flat too, at no measurable cost.
///
/// `serve` does the second (``releaseFreedPagesPeriodically(every:logger:)``, every ``interval``). `TCMALLOC_AGGRESSIVE_DECOMMIT=true`
/// in the environment still turns the first on (tcmalloc reads it itself).
enum AllocatorTuning {
    /// The interval of the periodic release: `PADDLE_SWIFT_RELEASE_INTERVAL_MS` (0 turns it off), else 5 s.
    static var interval: Duration {
        if let text = getenv("PADDLE_SWIFT_RELEASE_INTERVAL_MS"), let ms = Int64(String(cString: text)), ms >= 0 {
            return .milliseconds(ms)
        }
        return .seconds(5)
    }

    /// Starts a thread that returns tcmalloc's free pages to the system every `interval` (the syscalls and page
    /// walks stay off Swift's cooperative threads and the event loops). Does nothing when the process does not use
    /// tcmalloc or `interval` is zero. The thread lives as long as the process.
    static func releaseFreedPagesPeriodically(every interval: Duration, logger: Logger) {
        guard interval > .zero else {
            logger.debug("allocator: periodic release of free pages off")
            return
        }
        // RTLD_DEFAULT (a null handle): every library the process has loaded.
        guard let symbol = dlsym(nil, "MallocExtension_ReleaseFreeMemory") else {
            logger.debug("allocator: not tcmalloc; nothing to release")
            return
        }
        typealias Release = @convention(c) () -> Void
        let address = UInt(bitPattern: symbol)
        let seconds = Double(interval.components.seconds) + Double(interval.components.attoseconds) * 1e-18
        let thread = Thread {
            let release = unsafeBitCast(UnsafeRawPointer(bitPattern: address)!, to: Release.self)
            while true {
                Thread.sleep(forTimeInterval: seconds)
                release()
            }
        }
        thread.name = "paddle-allocator"
        thread.stackSize = 1 << 18
        thread.start()
        logger.debug("allocator: tcmalloc's free pages go back to the system every \(interval)")
    }
}
