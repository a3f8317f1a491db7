import Foundation
import KServeProtocol
import PaddleInference
import Synchronization

/// What changed in a model repository, once the change has settled.
public enum RepositoryChange: Sendable, Hashable, CustomStringConvertible {
    /// A complete version folder appeared.
    case versionAdded(model: String, version: Int, path: String)
    /// The files of a complete version folder changed (and are complete again).
    case versionModified(model: String, version: Int, path: String)
    /// A version folder disappeared.
    case versionRemoved(model: String, version: Int)
    /// A model's `config.yaml`/`config.yml` appeared, changed or disappeared.
    case configChanged(model: String)

    /// The model folder the change is in.
    public var model: String {
        switch self {
        case .versionAdded(let model, _, _), .versionModified(let model, _, _), .versionRemoved(let model, _),
            .configChanged(let model):
            model
        }
    }

    /// For logs: `model/version added`, `model config changed`, ...
    public var description: String {
        switch self {
        case .versionAdded(let model, let version, _): "\(model)/\(version) added"
        case .versionModified(let model, let version, _): "\(model)/\(version) modified"
        case .versionRemoved(let model, let version): "\(model)/\(version) removed"
        case .configChanged(let model): "\(model)/config changed"
        }
    }
}

/// Watches a model repository by polling, and reports only settled changes of complete version folders.
///
/// A version folder (`<root>/<model>/<digits>/`) counts as **complete** when it holds a loadable model layout
/// (`ModelSource/detect(path:params:)` finds a program and its params) and, if ``Options/marker`` is set,
/// the marker file (for example `READY`, written last by the publisher). A change is **settled** when the
/// folder's listing (names, sizes, modification times, inodes of every non-hidden file, links followed) is the
/// same for ``Options/stablePolls`` polls in a row. So a half-copied folder is never reported: it is either
/// incomplete, or still changing. A folder that becomes incomplete (files being replaced in place) is not
/// reported as removed; it is reported as modified once it is complete and settled again. Hidden names
/// (`.3.tmp`, `.inference.pdiparams.partial`) are ignored, so publishing by copying into a hidden folder and
/// renaming it to its version number is always safe.
///
/// ```swift
/// let watcher = RepositoryWatcher(root: "models")
/// watcher.baseline()                                   // what is there now is known, not news
/// try await watcher.run { changes in await reloader.apply(changes) }
/// ```
///
/// Thread-safe. ``poll()`` reads the file system (a few `stat` calls per version) on the calling thread.
public final class RepositoryWatcher: Sendable {
    /// How the watcher polls.
    public struct Options: Sendable {
        /// Time between polls.
        public var interval: Duration = .seconds(2)
        /// Consecutive polls that must see the same listing before a change is reported (at least 1).
        public var stablePolls: Int = 2
        /// A file that must exist in a version folder for it to count as complete, or `nil`.
        public var marker: String? = nil

        /// Options with the given interval, stability and marker.
        public init(interval: Duration = .seconds(2), stablePolls: Int = 2, marker: String? = nil) {
            self.interval = interval
            self.stablePolls = stablePolls
            self.marker = marker
        }
    }

    /// A file's identity for change detection.
    struct FileStamp: Sendable, Equatable {
        var size: Int64
        var modified: Int64
        var inode: UInt64
    }

    /// What a poll saw of one version folder.
    struct VersionView: Sendable, Equatable {
        var path: String
        var files: [String: FileStamp]
        var complete: Bool
    }

    private struct Tracked<Value: Equatable & Sendable>: Sendable {
        var value: Value
        var polls: Int
    }

    private struct VersionKey: Hashable, Sendable {
        var model: String
        var version: Int
    }

    private struct State: Sendable {
        var versions: [VersionKey: Tracked<VersionView?>] = [:]
        var configs: [String: Tracked<FileStamp?>] = [:]
        var reportedVersions: [VersionKey: VersionView] = [:]
        var reportedConfigs: [String: FileStamp?] = [:]
    }

    /// The repository folder.
    public let root: String
    /// How the folder is polled.
    public let options: Options
    private let state = Mutex(State())

    /// A watcher of the repository folder `root`; call ``baseline()`` before the first ``poll()``.
    public init(root: String, options: Options = Options()) {
        self.root = root
        self.options = options
    }

    /// Takes the repository as it is now as already known: later polls report only what changes after this.
    public func baseline() {
        let (versions, configs) = scan()
        state.withLock { state in
            state = State()
            for (key, view) in versions {
                state.versions[key] = Tracked(value: view, polls: options.stablePolls)
                if view.complete { state.reportedVersions[key] = view }
            }
            for (model, stamp) in configs {
                state.configs[model] = Tracked(value: stamp, polls: options.stablePolls)
                state.reportedConfigs[model] = stamp
            }
        }
    }

    /// Starts from what `other` (a watcher of the same folder) has seen and reported, so changes made since its
    /// baseline are still reported.
    public func adoptBaseline(of other: RepositoryWatcher) {
        let copied = other.state.withLock { $0 }
        state.withLock { $0 = copied }
    }

    /// Looks at the repository once and returns the changes that have settled since they were last reported.
    public func poll() -> [RepositoryChange] {
        let (versions, configs) = scan()
        let stablePolls = max(options.stablePolls, 1)
        return state.withLock { state in
            var changes: [RepositoryChange] = []
            // Versions: track each seen or previously seen key.
            let keys = Set(versions.keys).union(state.versions.keys)
            for key in keys.sorted(by: { ($0.model, $0.version) < ($1.model, $1.version) }) {
                let seen = versions[key]
                var tracked = state.versions[key] ?? Tracked(value: seen, polls: 0)
                tracked.polls = tracked.value == seen ? tracked.polls + 1 : 1
                tracked.value = seen
                state.versions[key] = seen == nil && state.reportedVersions[key] == nil ? nil : tracked
                guard tracked.polls >= stablePolls else { continue }
                let reported = state.reportedVersions[key]
                if let seen {
                    guard seen.complete, seen != reported else { continue }
                    state.reportedVersions[key] = seen
                    changes.append(
                        reported == nil
                            ? .versionAdded(model: key.model, version: key.version, path: seen.path)
                            : .versionModified(model: key.model, version: key.version, path: seen.path))
                } else if reported != nil {
                    state.reportedVersions[key] = nil
                    state.versions[key] = nil
                    changes.append(.versionRemoved(model: key.model, version: key.version))
                }
            }
            // Configs.
            let models = Set(configs.keys).union(state.configs.keys)
            for model in models.sorted() {
                let seen = configs[model] ?? nil
                var tracked = state.configs[model] ?? Tracked(value: seen, polls: 0)
                tracked.polls = tracked.value == seen ? tracked.polls + 1 : 1
                tracked.value = seen
                state.configs[model] = tracked
                guard tracked.polls >= stablePolls else { continue }
                let reported = state.reportedConfigs[model] ?? nil
                guard seen != reported else { continue }
                state.reportedConfigs[model] = seen
                changes.append(.configChanged(model: model))
            }
            return changes
        }
    }

    /// Polls every ``Options/interval`` and hands settled changes to `onChange` (awaited before the next poll),
    /// until the task is cancelled.
    public func run(onChange: @Sendable ([RepositoryChange]) async -> Void) async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: options.interval) } catch { return }
            let changes = poll()
            if !changes.isEmpty { await onChange(changes) }
        }
    }

    // MARK: Scanning

    private func scan() -> ([VersionKey: VersionView], [String: FileStamp?]) {
        var versions: [VersionKey: VersionView] = [:]
        var configs: [String: FileStamp?] = [:]
        for model in RepositoryPaths.modelFolders(in: root) {
            let folder = root + "/" + model
            let config: FileStamp? = Self.stamp(folder + "/config.yaml") ?? Self.stamp(folder + "/config.yml")
            configs[model] = .some(config)
            for (version, path) in RepositoryPaths.versionFolders(in: folder) {
                var files: [String: FileStamp] = [:]
                Self.list(path, prefix: "", depth: 0, into: &files)
                let hasMarker = options.marker.map { files[$0] != nil } ?? true
                let complete = hasMarker && (try? ModelSource.detect(path: path)) != nil
                versions[VersionKey(model: model, version: version)] = VersionView(
                    path: path, files: files, complete: complete)
            }
        }
        return (versions, configs)
    }

    private static func list(_ folder: String, prefix: String, depth: Int, into files: inout [String: FileStamp]) {
        guard depth < 3, files.count < 10_000 else { return }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] where !name.hasPrefix(".") {
            let path = folder + "/" + name
            if RepositoryPaths.isDirectory(path) {
                list(path, prefix: prefix + name + "/", depth: depth + 1, into: &files)
            } else if let stamp = stamp(path) {
                files[prefix + name] = stamp
            }
        }
    }

    /// The stamp of the file at `path` (links followed), or `nil` when it does not exist.
    static func stamp(_ path: String) -> FileStamp? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return FileStamp(
            size: Int64(info.st_size),
            modified: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec),
            inode: UInt64(info.st_ino))
    }
}
