// swift-tools-version:6.0
// A ThreadSanitizer check of Swift's `Synchronization.Mutex` on Linux (docs/fuzzing.md, "Sanitizers"): the same
// correctly locked program, once with `Mutex` and once with `NSLock`. Run it with tools/tsan-mutex/run.sh.
import PackageDescription

let package = Package(
    name: "TSanMutex",
    platforms: [.macOS(.v15)],
    targets: [.executableTarget(name: "TSanMutex")]
)
