import Crypto
import Foundation

extension Config {
    /// Checks that the model files exist, are regular non-empty files, hold a well-formed program, and match
    /// ``expectedSHA256``. ``Predictor/init(config:onStateChange:)`` calls this before the engine sees the files.
    ///
    /// - Throws: ``PaddleError/Code/modelFile`` for a missing, empty or unreadable file,
    ///   ``PaddleError/Code/integrity`` for a digest mismatch.
    public func validateFiles() throws(PaddleError) {
        let fm = FileManager.default
        let files: [String]
        switch source {
        case .files(let program, let params): files = [program, params]
        case .directory(let dir):
            guard fm.fileExists(atPath: dir + "/__model__") else {
                throw PaddleError(.modelFile, "model directory \(dir) has no __model__ file")
            }
            files = [dir + "/__model__"]
        case .memory: files = []
        }
        for file in files {
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: file, isDirectory: &isDirectory) else {
                throw PaddleError(.modelFile, "model file \(file) does not exist")
            }
            guard !isDirectory.boolValue, fm.isReadableFile(atPath: file) else {
                throw PaddleError(.modelFile, "model file \(file) is not a readable file")
            }
            let size = (try? fm.attributesOfItem(atPath: file)[.size] as? NSNumber)?.intValue ?? 0
            guard size > 0 else { throw PaddleError(.modelFile, "model file \(file) is empty") }
        }
        try ProgramCheck.check(source)
        guard !expectedSHA256.isEmpty else { return }
        let known = Dictionary(source.files.map { (($0 as NSString).lastPathComponent, $0) }, uniquingKeysWith: { a, _ in a })
        for (name, expected) in expectedSHA256.sorted(by: { $0.key < $1.key }) {
            guard let path = known[name] else {
                throw PaddleError(.integrity, "expected a digest for \(name), but the model has no such file")
            }
            let actual = try Self.sha256(ofFile: path)
            guard actual == expected.lowercased() else {
                throw PaddleError(.integrity, "SHA-256 of \(path) is \(actual), expected \(expected.lowercased())")
            }
        }
    }

    /// The lower-case hex SHA-256 of a file, read in 1 MiB chunks.
    public static func sha256(ofFile path: String) throws(PaddleError) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw PaddleError(.modelFile, "cannot open \(path)")
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        while true {
            let chunk: Data
            do { chunk = try handle.read(upToCount: 1 << 20) ?? Data() } catch {
                throw PaddleError(.modelFile, "cannot read \(path): \(error)")
            }
            if chunk.isEmpty { break }
            hasher.update(data: chunk)
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
