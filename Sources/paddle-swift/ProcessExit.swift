#if canImport(Glibc)
import Glibc
#endif

/// How `paddle-swift` ends: flush what we wrote, then leave without running the C++ static destructors.
///
/// By the time a command returns, everything of ours is done: pools have joined their threads and released their
/// predictors (families last, on their own threads), the server has drained, and the logs go to stdout/stderr
/// unbuffered or flushed here. What `exit()` would still run is the teardown of the engine's global state
/// (Paddle 3.3.1's phi registries, oneDNN's caches, glog, the OpenMP runtime), in an order across libraries that
/// nobody controls; an `exit()` racing the end of an engine thread aborted `serve` (issue 17: "Program crashed:
/// Aborted" after "server stopped", exit status 134). None of that teardown is needed by the operating system,
/// so the process ends with `_exit` (docs/reliability.md, "Shutdown order").
enum ProcessExit {
    /// Flushes standard output and error, then ends the process with `code`.
    static func now(_ code: Int32) -> Never {
        fflush(nil)
        _exit(code)
    }

    /// Writes `text` to standard error or standard output, after anything still buffered there.
    static func write(_ text: String, toStandardError: Bool) {
        fflush(nil)
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Glibc.write(toStandardError ? 2 : 1, $0.baseAddress, $0.count) }
            guard written > 0 else { return }
            bytes = bytes.dropFirst(written)
        }
    }
}
