import Foundation
import KServeProtocol
import Logging
import PaddleModelRepository

/// The server's log handler: lines like swift-log's `StreamLogHandler` on standard error
/// (`2026-11-25T18:35:03+0000 info paddle.serving: model=rec version=1 [PaddleServing] model version ready`),
/// but metadata is formatted only when a line is written.
///
/// `StreamLogHandler` formats all of a logger's metadata every time one key is set. The HTTP server sets a request
/// id on every request's logger, so with it each request paid for formatting it even when nothing was logged.
///
/// ```swift
/// LoggingSystem.bootstrap(ServingLogHandler.init)
/// ```
public struct ServingLogHandler: LogHandler {
    /// The lowest level written.
    public var logLevel: Logger.Level = .info
    /// Metadata added to every line.
    public var metadata: Logger.Metadata = [:]
    /// Metadata computed at each line (for example a request id).
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String

    /// A handler for logger `label`, at level info.
    public init(label: String) {
        self.label = label
    }

    /// A handler for logger `label` that adds `metadataProvider`'s metadata.
    public init(label: String, metadataProvider: Logger.MetadataProvider?) {
        self.label = label
        self.metadataProvider = metadataProvider
    }

    /// One item of ``metadata``.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Writes one line: time, level, label, message and metadata.
    public func log(
        level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?, source: String,
        file: String, function: String, line: UInt
    ) {
        var all = metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { _, new in new } }
        if let explicit { all.merge(explicit) { _, new in new } }
        var text = Self.timestamp()
        text += " \(level) \(label):"
        for (key, value) in all.sorted(by: { $0.key < $1.key }) {
            text += " \(key)=\(value)"
        }
        text += " [\(source)] \(message)\n"
        Self.write(text)
    }

    private static func timestamp() -> String {
        var now = time(nil)
        var parts = tm()
        localtime_r(&now, &parts)
        var buffer = [Int8](repeating: 0, count: 64)
        let count = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &parts)
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Writes one whole line to standard error, so lines of concurrent requests do not interleave.
    private static func write(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Foundation.write(2, bytes.baseAddress! + offset, bytes.count - offset)
                if written <= 0 {
                    if written < 0 && errno == EINTR { continue }
                    return
                }
                offset += written
            }
        }
    }
}
