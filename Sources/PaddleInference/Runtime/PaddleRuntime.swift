import Foundation

/// The Paddle Inference 3.3.1 engine libraries, found and loaded at first use.
///
/// The engine is not linked at build time. On first use the library looks for the runtime folder made by
/// `scripts/setup.sh`, in this order:
/// 1. `$PADDLE_INFERENCE_DIR`,
/// 2. `$PADDLE_SWIFT_HOME/runtime`,
/// 3. `.paddle/runtime` in this package's checkout,
/// 4. `.paddle/runtime` in the current directory.
///
/// The folder holds `paddle/base/libpaddle.so`, `paddle/libs/` (both from the `paddlepaddle==3.3.1` wheel) and
/// `libpaddle_pystubs.so` (stand-ins for the Python C-API, so no Python is loaded). Loading happens once per
/// process; every ``Predictor`` creation calls ``load()``.
public enum PaddleRuntime {
    /// The engine version this library is written against.
    public static let supportedVersion = "3.3.1"

    /// The command that installs the runtime.
    public static let setupCommand = "scripts/setup.sh"

    private static let lock = NSLock()
    nonisolated(unsafe) private static var loadedDirectory: String?

    /// The folders searched, in order.
    public static var searchPath: [String] {
        let env = ProcessInfo.processInfo.environment
        var folders: [String] = []
        if let dir = env["PADDLE_INFERENCE_DIR"], !dir.isEmpty { folders.append(dir) }
        if let home = env["PADDLE_SWIFT_HOME"], !home.isEmpty { folders.append(home + "/runtime") }
        folders.append(packageRoot + "/.paddle/runtime")
        folders.append(FileManager.default.currentDirectoryPath + "/.paddle/runtime")
        return folders
    }

    /// The root of this package's checkout (where `scripts/setup.sh` puts `.paddle/`).
    static var packageRoot: String {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
    }

    /// The folder in use, once loaded.
    public static var directory: String? {
        lock.withLock { loadedDirectory }
    }

    /// The engine's version, once loaded.
    public static var version: String? { Native.runtimeVersion }

    /// Loads the runtime if it is not loaded yet. Thread-safe; cheap after the first success.
    ///
    /// When `PADDLE_INFERENCE_DIR` is set, only that folder is tried.
    ///
    /// - Throws: ``PaddleError/Code/runtimeLoad`` naming the folder and the set-up command when the runtime is
    ///   missing, is not version 3.3.1, or lacks a symbol.
    public static func load() throws(PaddleError) {
        if Native.isRuntimeLoaded { return }
        let env = ProcessInfo.processInfo.environment
        let candidates: [String]
        if let dir = env["PADDLE_INFERENCE_DIR"], !dir.isEmpty {
            candidates = [dir]
        } else {
            candidates = searchPath
        }
        guard let folder = candidates.first(where: isRuntimeFolder) else {
            throw PaddleError(
                .runtimeLoad,
                "the Paddle Inference runtime was not found in \(candidates.joined(separator: ", ")); "
                    + "run \(setupCommand) or set PADDLE_INFERENCE_DIR")
        }
        try load(from: folder)
    }

    /// Loads the runtime from `folder`. If a runtime is already loaded, this does nothing.
    public static func load(from folder: String) throws(PaddleError) {
        lock.lock()
        defer { lock.unlock() }
        if Native.isRuntimeLoaded { return }
        guard isRuntimeFolder(folder) else { throw notARuntime(folder) }
        // The engine's glog prints INFO and WARNING lines from the moment it loads; keep errors only unless
        // the user asked for something else.
        if ProcessInfo.processInfo.environment["GLOG_minloglevel"] == nil {
            setenv("GLOG_minloglevel", "2", 0)
        }
        do {
            try Native.loadRuntime(directory: folder)
        } catch {
            throw PaddleError(
                .runtimeLoad,
                "cannot load the Paddle Inference runtime from \(folder); run \(setupCommand) to reinstall it",
                engineMessage: error.engineMessage)
        }
        loadedDirectory = folder
    }

    /// Checks the runtime in `folder` as ``load(from:)`` would (files, version 3.3.1, every symbol) without
    /// making it the active runtime.
    public static func check(folder: String) throws(PaddleError) {
        guard isRuntimeFolder(folder) else {
            throw notARuntime(folder)
        }
        do {
            try Native.checkRuntime(directory: folder)
        } catch {
            throw PaddleError(
                .runtimeLoad, "the Paddle Inference runtime in \(folder) is not usable; run \(setupCommand)",
                engineMessage: error.engineMessage)
        }
    }

    private static func notARuntime(_ folder: String) -> PaddleError {
        PaddleError(
            .runtimeLoad,
            "no Paddle Inference runtime in \(folder) (expected paddle/base/libpaddle.so and "
                + "libpaddle_pystubs.so); run \(setupCommand) or set PADDLE_INFERENCE_DIR")
    }

    private static func isRuntimeFolder(_ folder: String) -> Bool {
        let fm = FileManager.default
        return fm.fileExists(atPath: folder + "/paddle/base/libpaddle.so")
            && fm.fileExists(atPath: folder + "/libpaddle_pystubs.so")
    }
}
