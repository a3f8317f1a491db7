import Crypto
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One model's entry in a ``Config/optimizationCache`` folder: where it is, whether it can be trusted, and how a
/// new one is put in place.
///
/// Layout: `<folder>/<key>/` holds the engine's `_optimized.pdmodel` or `_optimized.json`, `_optimized.pdiparams`
/// and a `manifest.json` with the key's text and each file's size and SHA-256. The key is the SHA-256 of a text
/// naming the cache layout, the engine version, this CPU's oneDNN instruction set, the model files' SHA-256 and the
/// options that change the optimized program. An entry is written in a `.staging-*` folder next to it (manifest
/// last) and renamed into place, so a reader sees either no entry or a complete one; a reader trusts an entry only
/// when every file matches the manifest (digests are remembered per file identity: ``FileDigests``).
///
/// Not thread-safe as a value; any number of instances, threads and processes may use the same folder at once.
struct OptimizedProgramCache {
    /// Bumped when the entry layout or the key's text changes; old entries are then simply never found.
    static let layoutVersion = 1
    static let manifestName = "manifest.json"
    static let paramsName = "_optimized.pdiparams"
    static let programNames = ["_optimized.pdmodel", "_optimized.json"]

    /// The cache folder.
    let root: URL
    /// The text the key digests (kept in the manifest to explain an entry).
    let keyText: String
    /// Lower-case hex SHA-256 of ``keyText``: the entry folder's name.
    let key: String

    var entry: URL { root.appendingPathComponent(key, isDirectory: true) }

    /// Why `config` cannot use a cache, or `nil` when it can.
    static func notApplicableReason(_ config: Config) -> String? {
        if case .memory = config.source { return "the model is in memory" }
        if !config.irOptim { return "IR optimisation is off, so there is no optimized program to save" }
        return nil
    }

    /// The entry for `config` in `root`. Reads and digests the model files.
    ///
    /// - Throws: ``PaddleError/Code/modelFile`` when a model file cannot be read.
    init(root: URL, config: Config) throws(PaddleError) {
        self.root = root
        var lines = [
            "paddle-swift optimized program cache \(Self.layoutVersion)",
            "engine \(Native.runtimeVersion ?? "unknown")",
            "cpu onednn-isa \(CPUFeatures.read().oneDNNISA.map { String($0, radix: 16) } ?? "unknown")",
            "format \(config.format.rawValue)",
        ]
        for file in config.source.files {
            lines.append("file \((file as NSString).lastPathComponent) \(try FileDigests.shared.digest(ofFile: file).sha256)")
        }
        lines.append("onednn \(config.resolvedOneDNN)")
        lines.append("memory-optim \(config.resolvedMemoryOptim)")
        lines.append("deleted-passes \(config.deletedPasses.sorted().joined(separator: ","))")
        switch config.device {
        case .cpu: lines.append("device cpu")
        case .gpu(let id, let pool): lines.append("device gpu \(id) \(pool)")
        }
        keyText = lines.joined(separator: "\n") + "\n"
        key = SHA256.hash(data: Data(keyText.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Whether an entry folder exists, valid or not.
    var entryExists: Bool { FileManager.default.fileExists(atPath: entry.path) }

    /// The entry's program and params files when the entry is complete and every file matches its manifest.
    func validEntry() -> (program: String, params: String)? {
        guard let data = FileManager.default.contents(atPath: entry.appendingPathComponent(Self.manifestName).path),
            let manifest = try? JSONDecoder().decode(Manifest.self, from: data),
            manifest.version == Self.layoutVersion, manifest.key == key,
            manifest.files[Self.paramsName] != nil,
            let program = Self.programNames.first(where: { manifest.files[$0] != nil })
        else { return nil }
        for (name, record) in manifest.files {
            let file = try? FileDigests.shared.digest(ofFile: entry.appendingPathComponent(name).path)
            guard let file, file.size == record.size, file.sha256 == record.sha256 else { return nil }
        }
        return (entry.appendingPathComponent(program).path, entry.appendingPathComponent(Self.paramsName).path)
    }

    /// How old a staging or stale folder must be before a writer deletes it: it was left by a process that died.
    static let abandonedAfter: TimeInterval = 3600

    /// A new, empty staging folder for the engine to save into. Also deletes staging and stale folders that
    /// crashed writers left behind more than ``abandonedAfter`` ago.
    ///
    /// - Throws: ``PaddleError/Code/invalidArgument`` when the cache folder cannot be created or written.
    func makeStaging() throws(PaddleError) -> URL {
        removeAbandoned()
        let staging = root.appendingPathComponent(
            ".staging-\(key.prefix(16))-\(getpid())-\(UUID().uuidString)", isDirectory: true)
        do {
            try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: true)
        } catch {
            throw PaddleError(.invalidArgument, "cannot create \(staging.path) in the optimization cache: \(error)")
        }
        return staging
    }

    /// Writes the manifest of the files the engine saved in `staging` and renames `staging` into place, replacing
    /// an invalid entry (or, with `replacingValid`, one the engine could not load although its files verify). When
    /// another writer put a valid entry in place first, `staging` is dropped instead.
    ///
    /// - Throws: ``PaddleError/Code/invalidArgument`` when the engine saved no program, or the entry cannot be
    ///   written or renamed. `staging` is left for the caller to ``discard(_:)``.
    func commit(staging: URL, replacingValid: Bool = false) throws(PaddleError) {
        let fm = FileManager.default
        let names = ((try? fm.contentsOfDirectory(atPath: staging.path)) ?? []).filter { $0 != Self.manifestName }
        guard names.contains(Self.paramsName), Self.programNames.contains(where: names.contains) else {
            throw PaddleError(
                .invalidArgument,
                "the engine saved no optimized program in \(staging.path) (found: \(names.sorted().joined(separator: ", ")))")
        }
        var files: [String: Manifest.File] = [:]
        for name in names {
            let file = try FileDigests.shared.digest(ofFile: staging.appendingPathComponent(name).path)
            files[name] = Manifest.File(size: file.size, sha256: file.sha256)
        }
        let manifest = Manifest(version: Self.layoutVersion, key: key, keyText: keyText, files: files)
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(manifest).write(to: staging.appendingPathComponent(Self.manifestName))
        } catch {
            throw PaddleError(.invalidArgument, "cannot write the manifest in \(staging.path): \(error)")
        }
        if entryExists {
            if !replacingValid, validEntry() != nil { return discard(staging) }
            // Move the bad entry aside first: rename(2) cannot replace a non-empty folder.
            let stale = root.appendingPathComponent(".stale-\(key.prefix(16))-\(UUID().uuidString)", isDirectory: true)
            if rename(entry.path, stale.path) == 0 { try? fm.removeItem(at: stale) }
        }
        guard rename(staging.path, entry.path) == 0 else {
            let reason = String(cString: strerror(errno))
            if validEntry() != nil { return discard(staging) }  // another writer won the race
            throw PaddleError(.invalidArgument, "cannot rename \(staging.path) to \(entry.path): \(reason)")
        }
    }

    private func removeAbandoned() {
        let fm = FileManager.default
        let names = (try? fm.contentsOfDirectory(atPath: root.path)) ?? []
        let cutoff = Date().addingTimeInterval(-Self.abandonedAfter)
        for name in names where name.hasPrefix(".staging-") || name.hasPrefix(".stale-") {
            let path = root.appendingPathComponent(name).path
            if let modified = (try? fm.attributesOfItem(atPath: path))?[.modificationDate] as? Date, modified < cutoff {
                try? fm.removeItem(atPath: path)
            }
        }
    }

    /// Removes a staging folder.
    func discard(_ staging: URL) {
        try? FileManager.default.removeItem(at: staging)
    }

    /// `manifest.json`.
    struct Manifest: Codable {
        struct File: Codable {
            var size: Int
            var sha256: String
        }
        var version: Int
        var key: String
        var keyText: String
        var files: [String: File]
    }
}
