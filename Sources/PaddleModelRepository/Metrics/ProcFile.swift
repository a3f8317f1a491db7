#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads Linux's `/proc` files, whose size `stat` reports as 0 (so they are read to the end in chunks).
///
/// Reading `/proc` is memory-only work in the kernel: cheap enough for a metrics scrape on any thread.
enum ProcFile {
    /// The text of `path`, or `nil` when it cannot be read (not Linux, no such file).
    static func text(of path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            bytes.append(contentsOf: chunk[..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The entries of the folder `path` (without `.` and `..`), or `nil` when it cannot be read.
    static func entryCount(_ path: String) -> Int? {
        guard let directory = opendir(path) else { return nil }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            let isDot = withUnsafeBytes(of: entry.pointee.d_name) { name in
                name[0] == UInt8(ascii: ".") && (name[1] == 0 || (name[1] == UInt8(ascii: ".") && name[2] == 0))
            }
            if !isDot { count += 1 }
        }
        return count
    }

    /// The rest of the line of `/proc/stat` that starts with `key` and a space (`cpu` for the time of all cores,
    /// `btime` for the boot time), or `nil` when there is none (not Linux).
    static func systemStat(_ key: String) -> Substring? {
        guard let text = text(of: "/proc/stat") else { return nil }
        let prefix = key + " "
        return text.split(separator: "\n").first { $0.hasPrefix(prefix) }?.dropFirst(prefix.count)
    }

    /// The fields of `/proc/self/stat` after the command name, so that index 0 is field 3 (`state`) of proc(5).
    static func selfStatFields() -> [Substring]? {
        guard let text = text(of: "/proc/self/stat"), let close = text.lastIndex(of: ")") else { return nil }
        return text[text.index(after: close)...].split(separator: " ")
    }

    /// The value of `key` in a `key: value unit` file such as `/proc/meminfo` or `/proc/self/status` (which puts a
    /// tab after the colon), with the unit (`kB`) applied.
    static func meminfoBytes(_ text: String, key: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(key + ":") {
            let parts = line.dropFirst(key.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let value = parts.first.flatMap({ Double($0) }) else { return nil }
            return parts.count > 1 && parts[1] == "kB" ? value * 1024 : value
        }
        return nil
    }
}
