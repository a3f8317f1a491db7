import Foundation
import KServeProtocol
import PaddleInference

/// The optional SHA-256 manifest of a version folder: a `SHA256SUMS` file beside the model, in `sha256sum`'s
/// format (`<64 hex digits>  <file name>` per line; `#` starts a comment).
///
/// When a version folder has one, the version is loaded only if every listed file exists and matches, and the
/// model's own program and params files are listed. Make one with `cd <version> && sha256sum inference.* > SHA256SUMS`.
///
/// ```swift
/// if let manifest = try ModelManifest.load(folder: path) { try manifest.verify(folder: path) }
/// ```
public struct ModelManifest: Sendable, Equatable {
    /// The manifest's file name inside a version folder.
    public static let fileName = "SHA256SUMS"

    /// Lower-case hex digest per file name (relative to the version folder).
    public var digests: [String: String]

    /// A manifest of the given digests (file name to lower-case hex SHA-256).
    public init(digests: [String: String]) {
        self.digests = digests
    }

    /// Parses manifest text.
    ///
    /// - Throws: `PaddleError` `.integrity` for a malformed line, a bad digest, or a name that leaves the folder.
    public static func parse(_ text: String, source: String = fileName) throws(PaddleError) -> ModelManifest {
        var digests: [String: String] = [:]
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let parts = line.split(maxSplits: 1, whereSeparator: { $0 == " " || $0 == "\t" })
            guard parts.count == 2 else {
                throw PaddleError(.integrity, "\(source) line \(number + 1) is not '<sha256>  <file>'")
            }
            let digest = parts[0].lowercased()
            var name = parts[1].trimmingCharacters(in: .whitespaces)
            if name.hasPrefix("*") { name.removeFirst() }  // sha256sum's binary-mode marker
            if name.hasPrefix("./") { name.removeFirst(2) }
            guard digest.count == 64, digest.allSatisfy({ $0.isHexDigit }) else {
                throw PaddleError(.integrity, "\(source) line \(number + 1) has no valid SHA-256 digest")
            }
            let components = name.split(separator: "/")
            guard !name.isEmpty, !name.hasPrefix("/"), !name.contains("\0"),
                !components.contains(where: { $0 == ".." || $0 == "." })
            else {
                throw PaddleError(.integrity, "\(source) line \(number + 1) names a file outside the version folder")
            }
            digests[name] = digest
        }
        guard !digests.isEmpty else { throw PaddleError(.integrity, "\(source) lists no files") }
        return ModelManifest(digests: digests)
    }

    /// The manifest of the version folder `folder`, or `nil` when it has none.
    public static func load(folder: String) throws(PaddleError) -> ModelManifest? {
        let path = folder + "/" + fileName
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PaddleError(.integrity, "cannot read \(path)")
        }
        return try parse(String(decoding: data, as: UTF8.self), source: path)
    }

    /// Checks every listed file against its digest, and that the model's program and params files are listed.
    ///
    /// - Parameter folder: The version folder the names are relative to.
    /// - Throws: `PaddleError` `.integrity` for a mismatch or an unlisted model file, `.modelFile` for a listed
    ///   file that is missing.
    public func verify(folder: String) throws(PaddleError) {
        let source = try ModelSource.detect(path: folder)
        let prefix = folder.hasSuffix("/") ? folder : folder + "/"
        for file in source.files {
            let relative = file.hasPrefix(prefix) ? String(file.dropFirst(prefix.count)) : file
            guard digests[relative] != nil else {
                throw PaddleError(.integrity, "\(Self.fileName) in \(folder) does not list the model file \(relative)")
            }
        }
        for (name, expected) in digests.sorted(by: { $0.key < $1.key }) {
            let path = prefix + name
            guard FileManager.default.fileExists(atPath: path) else {
                throw PaddleError(.modelFile, "\(Self.fileName) lists \(name), which is missing from \(folder)")
            }
            let actual = try Config.sha256(ofFile: path)
            guard actual == expected else {
                throw PaddleError(.integrity, "SHA-256 of \(name) is \(actual), \(Self.fileName) expects \(expected)")
            }
        }
    }
}
