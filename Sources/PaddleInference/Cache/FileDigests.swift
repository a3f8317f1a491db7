import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// SHA-256 digests of files, remembered per path for as long as the file's identity (device, inode, size,
/// modification and status-change times) stays the same, as git's index does.
///
/// The optimization cache digests the model files and its entry's files on every load; a server that loads the
/// same models again and again (on-demand loads, reloads) then reads each file once. Any write to a file changes
/// its status-change time, which no caller can set back, so a changed file is always digested again.
/// Thread-safe.
package final class FileDigests: Sendable {
    /// The process-wide memo.
    package static let shared = FileDigests()

    private struct Identity: Equatable {
        var device: UInt64
        var inode: UInt64
        var size: Int64
        var modified: timespec
        var changed: timespec

        static func == (a: Identity, b: Identity) -> Bool {
            a.device == b.device && a.inode == b.inode && a.size == b.size
                && a.modified.tv_sec == b.modified.tv_sec && a.modified.tv_nsec == b.modified.tv_nsec
                && a.changed.tv_sec == b.changed.tv_sec && a.changed.tv_nsec == b.changed.tv_nsec
        }
    }

    /// At most this many files are remembered; the memo starts over when it is full.
    private static let capacity = 16_384
    private let known = Mutex<[String: (identity: Identity, size: Int, digest: String)]>([:])

    /// The lower-case hex SHA-256 and size of the file at `path`, read only when it changed since the last call.
    ///
    /// - Throws: ``PaddleError/Code/modelFile`` when the file cannot be read.
    package func digest(ofFile path: String) throws(PaddleError) -> (size: Int, sha256: String) {
        guard let before = Self.identity(path) else { throw PaddleError(.modelFile, "cannot read \(path)") }
        if let entry = known.withLock({ $0[path] }), entry.identity == before { return (entry.size, entry.digest) }
        let digest = try Config.sha256(ofFile: path)
        // Remember it only if the file did not change while it was read.
        if let after = Self.identity(path), after == before {
            known.withLock { memo in
                if memo.count >= Self.capacity { memo.removeAll() }
                memo[path] = (before, Int(before.size), digest)
            }
        }
        return (Int(before.size), digest)
    }

    private static func identity(_ path: String) -> Identity? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        #if canImport(Darwin)
        return Identity(
            device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: Int64(info.st_size),
            modified: info.st_mtimespec, changed: info.st_ctimespec)
        #else
        return Identity(
            device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: Int64(info.st_size),
            modified: info.st_mtim, changed: info.st_ctim)
        #endif
    }
}
