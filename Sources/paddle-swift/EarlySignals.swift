#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// SIGTERM/SIGINT that arrive while `serve` starts, before swift-service-lifecycle takes the signals over.
///
/// Without this, a SIGTERM in the first moments of `serve` (parsing options, scanning the repository, building the
/// services) met the default action and ended the process with status 143 instead of a clean, drained exit (seen
/// in 21 of 60 "SIGTERM while loading" cycles of bench/shutdown). The handler only records the signal; the server
/// polls ``received`` and shuts down gracefully. Once the service group runs, its own handlers replace this one.
enum EarlySignals {
    private static let flag = Atomic<Bool>(false)

    /// Installs the recording handler for SIGTERM and SIGINT. Call it first thing in `main`.
    static func install() {
        for number in [SIGTERM, SIGINT] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { _ in EarlySignals.flag.store(true, ordering: .relaxed) }
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            sigaction(number, &action, nil)
        }
    }

    /// Whether a SIGTERM or SIGINT arrived while the handler was in place.
    static var received: Bool { flag.load(ordering: .relaxed) }
}
