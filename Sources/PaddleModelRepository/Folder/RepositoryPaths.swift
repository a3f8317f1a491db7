import Foundation
import KServeProtocol

/// Checks model names and resolves paths inside a model repository, refusing path traversal and symbolic links
/// that lead outside it.
///
/// Every name that arrives from a client (the `:model` of `POST /v2/repository/models/:model/load`, a version
/// in a URL) goes through ``validateModelName(_:)`` before it touches the file system, and every folder the
/// server loads goes through ``resolve(_:kind:checkContents:)``, which follows symbolic links and refuses a result outside the
/// repository or one of ``trustedRoots``.
///
/// ```swift
/// let paths = try RepositoryPaths(root: "models")
/// let folder = try paths.versionFolder(model: "cls", version: 2)   // "/abs/models/cls/2", links resolved
/// ```
///
/// A value type, safe to share. Resolution reads the file system at the moment of the call.
public struct RepositoryPaths: Sendable {
    /// The repository folder, absolute, with every symbolic link resolved.
    public let root: String
    /// Folders outside the repository that symbolic links may lead to (for example a shared model store);
    /// absolute, links resolved. Empty by default: nothing outside the repository is served.
    public let trustedRoots: [String]

    /// The longest model name accepted.
    public static let maxNameLength = 128

    /// The rules for the repository folder `root`.
    ///
    /// - Parameters:
    ///   - root: The repository folder.
    ///   - trustedRoots: Extra folders that links inside the repository may point into.
    /// - Throws: `ServingError` (400) when `root` is not an existing folder.
    public init(root: String, trustedRoots: [String] = []) throws(ServingError) {
        guard let resolved = Self.realPath(root), Self.isDirectory(resolved) else {
            throw .badRequest("the model repository \(root) is not a folder")
        }
        self.root = resolved
        self.trustedRoots = trustedRoots.compactMap(Self.realPath)
    }

    /// Checks a model name: 1 to 128 characters from `A-Z a-z 0-9 _ . -`, starting with a letter or digit (so
    /// never `.`, `..`, a hidden name, a path separator or a NUL).
    ///
    /// - Throws: `ServingError` (400) naming the problem.
    public static func validateModelName(_ name: String) throws(ServingError) {
        guard !name.isEmpty, name.utf8.count <= maxNameLength else {
            throw .badRequest("invalid model name: it must have 1 to \(maxNameLength) characters")
        }
        let allowed = name.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
        }
        guard allowed, let first = name.utf8.first, first != UInt8(ascii: "."), first != UInt8(ascii: "-") else {
            throw .badRequest(
                "invalid model name '\(Self.printable(name))': use letters, digits, '_', '-' and '.', "
                    + "starting with a letter or digit")
        }
    }

    /// Parses a version as it appears in a URL, a header or a folder name: decimal digits only, at most 18.
    ///
    /// - Throws: `ServingError` (400) for anything else (signs, spaces, `..`, hex).
    public static func parseVersion(_ text: String) throws(ServingError) -> Int {
        guard !text.isEmpty, text.utf8.count <= 18, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            let version = Int(text)
        else {
            throw .badRequest("invalid model version '\(Self.printable(text))': expected a non-negative integer")
        }
        return version
    }

    /// A version asked for by a request (URL path or `x-model-version` header): `nil` when none was given.
    ///
    /// - Throws: `ServingError` 404 naming the model when `text` is not a version number.
    public static func requestedVersion(_ text: String?, model name: String) throws(ServingError) -> Int? {
        guard let text else { return nil }
        guard let number = try? parseVersion(text) else {
            throw .notFound("model '\(name)' has no version '\(printable(text))'")
        }
        return number
    }

    // MARK: Scanning (the one place the repository's folders are listed)

    /// The names of the folders directly in `root` that are not hidden (model folders, valid names or not), sorted.
    public static func modelFolders(in root: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return names.filter { !$0.hasPrefix(".") && isDirectory(root + "/" + $0) }.sorted()
    }

    /// The version folders of the model folder `folder` (named by a version number), sorted by version.
    public static func versionFolders(in folder: String) -> [(version: Int, path: String)] {
        let children = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return children.compactMap { child -> (version: Int, path: String)? in
            guard let version = try? parseVersion(child) else { return nil }
            let path = folder + "/" + child
            return isDirectory(path) ? (version, path) : nil
        }.sorted { $0.version < $1.version }
    }

    /// The folder of model `name`, links resolved, checked to be inside the repository (its version folders
    /// are checked by ``versionFolder(model:version:)``).
    ///
    /// - Throws: `ServingError` 400 for an invalid name or a link that leaves the repository, 404 when the
    ///   folder does not exist.
    public func modelFolder(_ name: String) throws(ServingError) -> String {
        try Self.validateModelName(name)
        return try resolve(name, kind: "model '\(name)'", checkContents: false)
    }

    /// The folder of version `version` of model `name`, links resolved, checked to be inside the repository.
    public func versionFolder(model name: String, version: Int) throws(ServingError) -> String {
        try Self.validateModelName(name)
        guard version >= 0 else { throw .badRequest("invalid model version \(version)") }
        return try resolve(name + "/" + String(version), kind: "model '\(name)' version \(version)")
    }

    /// Resolves `relative` (a path inside the repository) and checks that it, and with `checkContents` every
    /// file below it, stays in the repository or a trusted root.
    ///
    /// - Throws: `ServingError` 400 when it escapes, 404 when it does not exist.
    public func resolve(_ relative: String, kind: String = "path", checkContents: Bool = true) throws(ServingError)
        -> String
    {
        let components = relative.split(separator: "/", omittingEmptySubsequences: true)
        guard !relative.hasPrefix("/"), !components.contains(where: { $0 == ".." || $0 == "." }),
            !relative.utf8.contains(0)
        else {
            throw .badRequest("\(kind) is outside the model repository")
        }
        let joined = root + "/" + components.joined(separator: "/")
        guard FileManager.default.fileExists(atPath: joined) || Self.isSymlink(joined) else {
            throw .notFound("\(kind) does not exist in the model repository")
        }
        guard let resolved = Self.realPath(joined) else {
            throw .badRequest("\(kind) is a broken link")
        }
        guard isAllowed(resolved) else {
            throw .badRequest("\(kind) is a link that leads outside the model repository")
        }
        if checkContents && Self.isDirectory(resolved) { try checkTree(resolved, kind: kind) }
        return resolved
    }

    /// Whether the absolute, resolved path `path` is inside the repository or a trusted root.
    public func isAllowed(_ path: String) -> Bool {
        ([root] + trustedRoots).contains { base in path == base || path.hasPrefix(base.hasSuffix("/") ? base : base + "/") }
    }

    /// Checks every entry below `folder` (at most 4 levels and 10,000 entries): each link must resolve inside.
    private func checkTree(_ folder: String, kind: String, depth: Int = 0) throws(ServingError) {
        var budget = 10_000
        try checkTree(folder, kind: kind, depth: depth, budget: &budget)
    }

    private func checkTree(_ folder: String, kind: String, depth: Int, budget: inout Int) throws(ServingError) {
        guard depth < 4 else { return }
        let children = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        for child in children {
            budget -= 1
            guard budget > 0 else { throw .badRequest("\(kind) holds too many files") }
            let path = folder + "/" + child
            guard Self.isSymlink(path) else {
                if Self.isDirectory(path) { try checkTree(path, kind: kind, depth: depth + 1, budget: &budget) }
                continue
            }
            guard let target = Self.realPath(path), isAllowed(target) else {
                throw .badRequest("\(kind) holds a link (\(child)) that leads outside the model repository")
            }
            if Self.isDirectory(target) { try checkTree(target, kind: kind, depth: depth + 1, budget: &budget) }
        }
    }

    // MARK: File system helpers

    /// The absolute path with every link resolved, or `nil` when it does not exist.
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    static func isSymlink(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFLNK
    }

    /// `text` cut to 64 characters with control characters replaced, for error messages.
    static func printable(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.prefix(64).map { $0.value < 0x20 || $0.value == 0x7F ? "?" : $0 }))
    }
}
