import Foundation
import KServeProtocol

/// A small `multipart/form-data` reader (RFC 7578 / RFC 2046 §5.1), enough for an upload form: parts with a
/// `Content-Disposition: form-data; name=...; filename=...` header, an optional `Content-Type`, and a body.
///
/// Hand-written on purpose: multipart-kit 4.7.1 (the version available here) traps on a byte over 0x7F where it
/// expects a part header name (index out of range in its 128-entry character table), which would let any client
/// end the server; fuzz/FuzzMultipart found two such inputs within minutes (kept in
/// fuzz/corpus/FuzzMultipart/regressions/, replayed by every fuzz run and by FuzzRegressionTests). This parser is
/// fuzzed in CI. It never copies part bodies: a part is a range of the request's bytes. Malformed input (no boundary,
/// a part without headers' end, no closing delimiter) is a 400 that says what is missing.
struct MultipartFormData {
    struct Part: Sendable {
        /// The `name` parameter of `Content-Disposition`.
        var name: String?
        /// The `filename` parameter, for file fields.
        var filename: String?
        /// The part's `Content-Type`, lower-cased.
        var contentType: String?
        /// Where the part's body lies in ``MultipartFormData/bytes``.
        var range: Range<Int>
    }

    /// The whole request body.
    let bytes: [UInt8]
    /// The parts in body order.
    let parts: [Part]

    /// The most parts accepted (a form needs a few).
    static let maxParts = 32
    /// The most header bytes accepted per part.
    static let maxHeaderBytes = 16 << 10

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

    /// Splits `bytes` into parts.
    /// - Throws: 400 naming what is malformed.
    init(bytes: [UInt8], boundary: String) throws(ServingError) {
        self.bytes = bytes
        let delimiter = Array("--\(boundary)".utf8)
        let crlfDelimiter = [0x0D, 0x0A] + delimiter
        let count = bytes.count
        var parts: [Part] = []
        let result: Result<[Part], ServingError> = bytes.withUnsafeBufferPointer { b in
            func find(_ needle: [UInt8], from start: Int) -> Int? {
                guard start <= count, let base = b.baseAddress else { return nil }
                // memchr for the first byte, then compare the rest (glibc's memmem is not visible from Swift).
                var i = start
                let last = count - needle.count
                while i <= last {
                    guard let hit = memchr(base + i, Int32(needle[0]), last - i + 1) else { return nil }
                    i = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                    if memcmp(base + i, needle, needle.count) == 0 { return i }
                    i += 1
                }
                return nil
            }
            func at(_ i: Int, _ literal: [UInt8]) -> Bool {
                i + literal.count <= count && literal.indices.allSatisfy { b[i + $0] == literal[$0] }
            }
            // The first delimiter starts the body or follows a CRLF (after an ignored preamble).
            var position: Int
            if at(0, delimiter) {
                position = delimiter.count
            } else if let first = find(crlfDelimiter, from: 0) {
                position = first + crlfDelimiter.count
            } else {
                return .failure(.badRequest("multipart body has no '--\(boundary)' delimiter"))
            }
            while true {
                if at(position, [0x2D, 0x2D]) { return .success(parts) }  // close delimiter "--"
                while position < count, b[position] == 0x20 || b[position] == 0x09 { position += 1 }
                guard at(position, [0x0D, 0x0A]) else {
                    return .failure(.badRequest("multipart body is truncated or malformed after a delimiter"))
                }
                position += 2
                let headerEnd: Int, bodyStart: Int
                if at(position, [0x0D, 0x0A]) {
                    (headerEnd, bodyStart) = (position, position + 2)
                } else if let end = find([0x0D, 0x0A, 0x0D, 0x0A], from: position) {
                    (headerEnd, bodyStart) = (end, end + 4)
                } else {
                    return .failure(.badRequest("multipart part has no end of headers (truncated body?)"))
                }
                guard headerEnd - position <= Self.maxHeaderBytes else {
                    return .failure(.badRequest("multipart part headers are longer than \(Self.maxHeaderBytes) bytes"))
                }
                guard let bodyEnd = find(crlfDelimiter, from: bodyStart) else {
                    return .failure(.badRequest("multipart body has no closing '--\(boundary)--' (truncated body?)"))
                }
                guard parts.count < Self.maxParts else {
                    return .failure(.badRequest("multipart body has more than \(Self.maxParts) parts"))
                }
                var part = Part(range: bodyStart..<bodyEnd)
                let headers = String(decoding: UnsafeBufferPointer(rebasing: b[position..<headerEnd]), as: UTF8.self)
                for line in headers.split(separator: "\r\n") {
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
                    let value = String(line[line.index(after: colon)...])
                    if name == "content-disposition" {
                        let (_, parameters) = HeaderValue.parse(value)
                        part.name = parameters["name"]
                        part.filename = parameters["filename"]
                    } else if name == "content-type" {
                        part.contentType = HeaderValue.parse(value).value
                    }
                }
                parts.append(part)
                position = bodyEnd + crlfDelimiter.count
            }
        }
        self.parts = try result.get()
    }

    /// The body of `part` as `Data`.
    func data(_ part: Part) -> Data { Data(bytes[part.range]) }

    /// The body of `part` as UTF-8 text.
    func text(_ part: Part) -> String { String(decoding: bytes[part.range], as: UTF8.self) }

    /// The first part named `name`.
    func part(named name: String) -> Part? { parts.first { $0.name == name } }
}

/// Parses header values of the form `value; key=token; key="quoted \"string\""`.
enum HeaderValue {
    /// The lower-cased value and its parameters (keys lower-cased, values unquoted).
    static func parse(_ header: String) -> (value: String, parameters: [String: String]) {
        var scalars = Substring(header).unicodeScalars[...]
        func skipSpaces() { while let c = scalars.first, c == " " || c == "\t" { scalars.removeFirst() } }
        func token(until stops: Set<Unicode.Scalar>) -> String {
            var out = String.UnicodeScalarView()
            while let c = scalars.first, !stops.contains(c) { out.append(c); scalars.removeFirst() }
            return String(out).trimmingCharacters(in: .whitespaces)
        }
        let value = token(until: [";"]).lowercased()
        var parameters: [String: String] = [:]
        while scalars.first == ";" {
            scalars.removeFirst()
            skipSpaces()
            let key = token(until: ["=", ";"]).lowercased()
            guard scalars.first == "=" else { continue }
            scalars.removeFirst()
            skipSpaces()
            var parameter = ""
            if scalars.first == "\"" {
                scalars.removeFirst()
                var out = String.UnicodeScalarView()
                while let c = scalars.first {
                    scalars.removeFirst()
                    if c == "\"" { break }
                    if c == "\\", let next = scalars.first { out.append(next); scalars.removeFirst(); continue }
                    out.append(c)
                }
                parameter = String(out)
                _ = token(until: [";"])
            } else {
                parameter = token(until: [";"])
            }
            if !key.isEmpty && parameters[key] == nil { parameters[key] = parameter }
        }
        return (value, parameters)
    }
}
