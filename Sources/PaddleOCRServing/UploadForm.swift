import KServeProtocol
import MultipartKit
import NIOCore

/// A `multipart/form-data` upload (RFC 7578), split into parts by multipart-kit's `MultipartParser`, with the
/// limits and errors the OCR routes need: at most ``maxParts`` parts, a 400 that says what is wrong, and no copy
/// of a part's body beyond the parser's own slices.
struct UploadForm {
    /// One field of the form.
    struct Part: Sendable {
        /// The `name` parameter of `Content-Disposition`.
        var name: String?
        /// The `filename` parameter, for file fields.
        var filename: String?
        /// The part's `Content-Type`, lower-cased.
        var contentType: String?
        /// The part's body.
        var body: ByteBuffer

        /// The body as UTF-8 text (for text fields).
        var text: String { String(buffer: body) }
    }

    /// The complete parts in body order (a part cut off by the end of the body is not among them).
    let parts: [Part]

    /// The most parts accepted (a form needs a few).
    static let maxParts = 32

    /// The `boundary` parameter of a `multipart/form-data` content type, or `nil` for another content type.
    /// - Throws: 400 when the type is multipart/form-data but the boundary is missing or invalid.
    static func boundary(contentType: String) throws(ServingError) -> String? {
        let (type, parameters) = HeaderValue.parse(contentType)
        guard type == "multipart/form-data" else { return nil }
        guard let boundary = parameters["boundary"], (1...70).contains(boundary.utf8.count) else {
            throw .badRequest("multipart/form-data needs a boundary parameter of 1 to 70 characters")
        }
        return boundary
    }

    /// Splits `body` into parts.
    /// - Throws: 400 for a body that is not multipart with this boundary, or has more than ``maxParts`` parts.
    init(body: ByteBuffer, boundary: String) throws(ServingError) {
        try Self.checkHeaderNames(body, boundary: boundary)
        let parser = MultipartParser(boundary: boundary)
        final class Collector {
            var parts: [Part] = []
            var current = Part(body: ByteBuffer())
            var tooMany = false
        }
        let collector = Collector()
        parser.onHeader = { name, value in
            switch name.lowercased() {
            case "content-disposition":
                let (_, parameters) = HeaderValue.parse(value)
                collector.current.name = parameters["name"]
                collector.current.filename = parameters["filename"]
            case "content-type":
                collector.current.contentType = HeaderValue.parse(value).value
            default:
                break
            }
        }
        parser.onBody = { chunk in
            if collector.current.body.readableBytes == 0 {
                collector.current.body = chunk
            } else {
                collector.current.body.writeBuffer(&chunk)
            }
        }
        parser.onPartComplete = {
            if collector.parts.count == Self.maxParts {
                collector.tooMany = true
            } else {
                collector.parts.append(collector.current)
            }
            collector.current = Part(body: ByteBuffer())
        }
        do {
            try parser.execute(body)
        } catch {
            throw .badRequest("malformed multipart/form-data body")
        }
        guard !collector.tooMany else {
            throw .badRequest("multipart/form-data has more than \(Self.maxParts) parts")
        }
        guard !collector.parts.isEmpty else {
            throw .badRequest("multipart/form-data has no complete part with boundary '\(boundary)'")
        }
        parts = collector.parts
    }

    /// Refuses a part header whose name has a byte over 0x7F before multipart-kit sees it: its 4.7.1 parser looks
    /// such bytes up in a 128-entry table and traps (index out of range), which would end the server. Found by
    /// fuzz/FuzzMultipart in 63 runs (regression input: fuzz/corpus/FuzzMultipart/regressions/); header names are
    /// ASCII tokens (RFC 7230), so nothing valid is refused.
    static func checkHeaderNames(_ body: ByteBuffer, boundary: String) throws(ServingError) {
        let delimiter = Array("--\(boundary)".utf8)
        let bad: Bool = body.withUnsafeReadableBytes { bytes in
            var i = 0
            let count = bytes.count
            while i + delimiter.count <= count {
                // Find the next delimiter.
                guard bytes[i] == delimiter[0], (0..<delimiter.count).allSatisfy({ bytes[i + $0] == delimiter[$0] }) else {
                    i += 1
                    continue
                }
                i += delimiter.count
                // Skip to the end of the delimiter line, then check each header line up to the empty one.
                while i < count && bytes[i] != 0x0A { i += 1 }
                i += 1
                while i < count && bytes[i] != 0x0D && bytes[i] != 0x0A {
                    var inName = true
                    while i < count && bytes[i] != 0x0A {
                        if bytes[i] == UInt8(ascii: ":") { inName = false }
                        if inName && bytes[i] > 0x7F { return true }
                        i += 1
                    }
                    i += 1
                }
            }
            return false
        }
        if bad { throw .badRequest("malformed multipart/form-data body: a part header name is not ASCII") }
    }

    /// The first part named `name`.
    func part(named name: String) -> Part? { parts.first { $0.name == name } }
}
