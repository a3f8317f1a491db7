#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A strict, bounded JSON parser over raw bytes.
///
/// Written for untrusted request bodies: nesting is limited (``maximumDepth``), integers keep their exactness
/// (see ``JSONNumber``), and every failure is a ``JSONParseError`` with the byte offset. It also accepts the
/// non-standard tokens `NaN`, `Infinity` and `-Infinity`, which Python's `json` module writes for such floats.
package struct JSONParser {
    /// The deepest nesting of arrays and objects accepted.
    package static let maximumDepth = 64

    private let bytes: UnsafeRawBufferPointer
    private var index = 0
    private var depth = 0
    /// Whether the `data` arrays of the root's `inputs` are left unparsed (``parseInferenceHeader(_:)``).
    private var defersInputData = false
    /// Set while the parser is inside the root's `inputs` member.
    private var inInputs = false

    private init(bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    /// Parses one JSON document that fills `bytes` (surrounding white space allowed).
    package static func parse(_ bytes: UnsafeRawBufferPointer) throws(JSONParseError) -> JSONValue {
        var parser = JSONParser(bytes: bytes)
        parser.skipWhitespace()
        let value = try parser.parseValue()
        parser.skipWhitespace()
        guard parser.index == bytes.count else { throw parser.error("unexpected data after the JSON document") }
        return value
    }

    /// Parses the JSON of a KServe v2 infer request like ``parse(_:)``, except that each `inputs[i].data` array
    /// is only scanned for its end and given as ``JSONValue/deferredArray(_:)``: its numbers are parsed later,
    /// once, straight into the input tensor's storage, with no tree of values in between
    /// (``forEachLeaf(of:in:_:)``, which also checks the array's syntax).
    package static func parseInferenceHeader(_ bytes: UnsafeRawBufferPointer) throws(JSONParseError) -> JSONValue {
        var parser = JSONParser(bytes: bytes)
        parser.defersInputData = true
        parser.skipWhitespace()
        let value = try parser.parseValue()
        parser.skipWhitespace()
        guard parser.index == bytes.count else { throw parser.error("unexpected data after the JSON document") }
        return value
    }

    /// Parses the deferred array at `range` of `bytes` and calls `leaf` with each element that is not an array,
    /// in row-major order (nested arrays are walked depth first). Leaves are numbers and booleans as parsed by
    /// ``parse(_:)``; any other value (string, null, object) is passed on for the caller to refuse.
    ///
    /// - Throws: ``JSONParseError`` for malformed JSON, or what `leaf` throws.
    package static func forEachLeaf(
        of range: Range<Int>, in bytes: UnsafeRawBufferPointer, _ leaf: (JSONValue) throws -> Void
    ) throws {
        var parser = JSONParser(bytes: UnsafeRawBufferPointer(rebasing: bytes[..<range.upperBound]))
        parser.index = range.lowerBound
        try parser.walkArray(leaf)
        guard parser.index == range.upperBound else { throw parser.error("unexpected data after an array") }
    }

    private mutating func walkArray(_ leaf: (JSONValue) throws -> Void) throws {
        try enter()
        defer { depth -= 1 }
        index += 1
        skipWhitespace()
        if current == UInt8(ascii: "]") {
            index += 1
            return
        }
        while true {
            skipWhitespace()
            switch current ?? 0 {
            case UInt8(ascii: "["): try walkArray(leaf)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try leaf(.number(try parseNumber()))
            default: try leaf(try parseValue())
            }
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"): index += 1; return
            case nil: throw error("unexpected end of the JSON document in an array")
            default: throw error("expected ',' or ']' in an array")
            }
        }
    }

    /// Finds the end of the array that starts at `index` without parsing its elements (brackets and strings
    /// only; ``forEachLeaf(of:in:_:)`` checks the rest), and returns its range.
    private mutating func skipArray() throws(JSONParseError) -> Range<Int> {
        let start = index
        var level = 0
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "["):
                level += 1
                guard depth + level <= Self.maximumDepth else {
                    throw error("JSON nesting deeper than \(Self.maximumDepth) levels")
                }
            case UInt8(ascii: "]"):
                level -= 1
                if level == 0 {
                    index += 1
                    return start..<index
                }
            case UInt8(ascii: "\""):
                index += 1
                while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                    index += bytes[index] == UInt8(ascii: "\\") ? 2 : 1
                }
                guard index < bytes.count else { throw error("unterminated string") }
            default: break
            }
            index += 1
        }
        throw error("unexpected end of the JSON document in an array")
    }

    /// Parses one JSON document from an array of bytes.
    package static func parse(_ bytes: [UInt8]) throws(JSONParseError) -> JSONValue {
        do {
            return try bytes.withUnsafeBytes { try parse($0) }
        } catch let error as JSONParseError {
            throw error
        } catch {
            throw JSONParseError(offset: 0, reason: "\(error)")
        }
    }

    private func error(_ reason: String) -> JSONParseError {
        JSONParseError(offset: index, reason: reason)
    }

    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    private mutating func parseValue() throws(JSONParseError) -> JSONValue {
        guard let byte = current else { throw error("unexpected end of the JSON document") }
        switch byte {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "N"): try expectLiteral("NaN"); return .number(.double(.nan))
        case UInt8(ascii: "I"): try expectLiteral("Infinity"); return .number(.double(.infinity))
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw error("unexpected character '\(Self.printable(byte))'")
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let count = literal.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw error("invalid literal") }
        let start = literal.utf8Start
        for offset in 0..<count where bytes[index + offset] != start[offset] {
            throw error("invalid literal")
        }
        index += count
    }

    private mutating func enter() throws(JSONParseError) {
        depth += 1
        guard depth <= Self.maximumDepth else {
            throw error("JSON nesting deeper than \(Self.maximumDepth) levels")
        }
    }

    private mutating func parseArray() throws(JSONParseError) -> JSONValue {
        try enter()
        defer { depth -= 1 }
        index += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") {
            index += 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue())
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"): index += 1; return .array(elements)
            case nil: throw error("unexpected end of the JSON document in an array")
            default: throw error("expected ',' or ']' in an array")
            }
        }
    }

    private mutating func parseObject() throws(JSONParseError) -> JSONValue {
        try enter()
        defer { depth -= 1 }
        index += 1
        var members: [(key: String, value: JSONValue)] = []
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            index += 1
            return .object(JSONObject(members))
        }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else { throw error("expected a string key in an object") }
            let key = try parseString()
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { throw error("expected ':' after an object key") }
            index += 1
            skipWhitespace()
            if defersInputData && depth == 1 && key == "inputs" {
                inInputs = true
                defer { inInputs = false }
                members.append((key, try parseValue()))
            } else if inInputs && depth == 3 && key == "data" && current == UInt8(ascii: "[") {
                members.append((key, .deferredArray(try skipArray())))
            } else {
                members.append((key, try parseValue()))
            }
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"): index += 1; return .object(JSONObject(members))
            case nil: throw error("unexpected end of the JSON document in an object")
            default: throw error("expected ',' or '}' in an object")
            }
        }
    }

    private mutating func parseString() throws(JSONParseError) -> String {
        index += 1
        let start = index
        // Fast path: no escapes.
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let slice = UnsafeRawBufferPointer(rebasing: bytes[start..<index])
                index += 1
                return try Self.decodeUTF8(slice, at: start)
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw error("control character in a string") }
            index += 1
        }
        var scratch = [UInt8](UnsafeRawBufferPointer(rebasing: bytes[start..<index]))
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                guard let string = String(validating: scratch, as: UTF8.self) else {
                    throw JSONParseError(offset: start, reason: "invalid UTF-8 in a string")
                }
                return string
            case UInt8(ascii: "\\"):
                index += 1
                guard let escape = current else { break }
                index += 1
                switch escape {
                case UInt8(ascii: "\""): scratch.append(0x22)
                case UInt8(ascii: "\\"): scratch.append(0x5C)
                case UInt8(ascii: "/"): scratch.append(0x2F)
                case UInt8(ascii: "b"): scratch.append(0x08)
                case UInt8(ascii: "f"): scratch.append(0x0C)
                case UInt8(ascii: "n"): scratch.append(0x0A)
                case UInt8(ascii: "r"): scratch.append(0x0D)
                case UInt8(ascii: "t"): scratch.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try parseHex4()
                    if (0xD800..<0xDC00).contains(scalar) {
                        guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"),
                            bytes[index + 1] == UInt8(ascii: "u")
                        else { throw error("unpaired surrogate in a string") }
                        index += 2
                        let low = try parseHex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw error("unpaired surrogate in a string") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00..<0xE000).contains(scalar) {
                        throw error("unpaired surrogate in a string")
                    }
                    guard let unicode = Unicode.Scalar(scalar) else { throw error("invalid \\u escape") }
                    scratch.append(contentsOf: Array(String(Character(unicode)).utf8))
                default:
                    throw error("invalid escape in a string")
                }
            default:
                if byte < 0x20 { throw error("control character in a string") }
                scratch.append(byte)
                index += 1
            }
        }
        throw error("unterminated string")
    }

    private mutating func parseHex4() throws(JSONParseError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw error("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw error("invalid \\u escape")
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    private static func decodeUTF8(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(JSONParseError) -> String {
        guard let string = String(validating: bytes, as: UTF8.self) else {
            throw JSONParseError(offset: offset, reason: "invalid UTF-8 in a string")
        }
        return string
    }

    private mutating func parseNumber() throws(JSONParseError) -> JSONNumber {
        let start = index
        var negative = false
        if current == UInt8(ascii: "-") {
            negative = true
            index += 1
            if current == UInt8(ascii: "I") {
                try expectLiteral("Infinity")
                return .double(-.infinity)
            }
        }
        let digitsStart = index
        var magnitude: UInt64 = 0
        var overflow = false
        while let byte = current, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
            let (times10, o1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
            overflow = overflow || o1 || o2
            magnitude = sum
            index += 1
        }
        let digitCount = index - digitsStart
        guard digitCount > 0 else { throw error("invalid number") }
        if digitCount > 1 && bytes[digitsStart] == UInt8(ascii: "0") { throw error("invalid number (leading zero)") }
        var isInteger = true
        // Digits after the point extend the mantissa (for the exact fast path below).
        var mantissa = magnitude
        var mantissaDigits = overflow ? 100 : digitCount
        var fractionDigits = 0
        if current == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            let fractionStart = index
            while let byte = current, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
                if mantissaDigits < 19 {
                    mantissa = mantissa &* 10 &+ UInt64(byte - UInt8(ascii: "0"))
                    fractionDigits += 1
                }
                mantissaDigits += 1
                index += 1
            }
            guard index > fractionStart else { throw error("invalid number (no digits after '.')") }
        }
        var exponent = 0
        var exponentTooLarge = false
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            isInteger = false
            index += 1
            var exponentNegative = false
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") {
                exponentNegative = current == UInt8(ascii: "-")
                index += 1
            }
            let exponentStart = index
            while let byte = current, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
                if exponent < 100_000 { exponent = exponent * 10 + Int(byte - UInt8(ascii: "0")) } else { exponentTooLarge = true }
                index += 1
            }
            guard index > exponentStart else { throw error("invalid number (no digits in the exponent)") }
            if exponentNegative { exponent = -exponent }
        }
        // Clinger's fast path: a mantissa below 2^53 scaled by an exact power of ten rounds correctly.
        if !isInteger && !exponentTooLarge && mantissaDigits <= 15 {
            let scale = exponent - fractionDigits
            if scale >= -22 && scale <= 22 {
                var value = Double(mantissa)
                value = scale < 0 ? value / Self.powersOfTen[-scale] : value * Self.powersOfTen[scale]
                return .double(negative ? -value : value)
            }
        }
        if isInteger && !overflow {
            if !negative { return magnitude <= UInt64(Int64.max) ? .int(Int64(magnitude)) : .uint(magnitude) }
            if magnitude <= UInt64(Int64.max) { return .int(-Int64(magnitude)) }
            if magnitude == UInt64(Int64.max) + 1 { return .int(.min) }
        }
        // Longer mantissas (Python's `repr` of a float has 16-17 digits) are rounded by the C library's strtod
        // (correctly rounded in glibc), from a copy on the stack: no String per number.
        let length = index - start
        if length < 48, Self.decimalPointIsDot {
            let value = withUnsafeTemporaryAllocation(of: CChar.self, capacity: 48) { buffer -> Double? in
                let base = buffer.baseAddress!
                for offset in 0..<length { base[offset] = CChar(bitPattern: bytes[start + offset]) }
                base[length] = 0
                var end: UnsafeMutablePointer<CChar>?
                let value = strtod(base, &end)
                return end == base + length ? value : nil
            }
            guard let value else { throw JSONParseError(offset: start, reason: "invalid number") }
            guard value.isFinite else {
                let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                throw JSONParseError(offset: start, reason: "number \(text) is out of range")
            }
            return .double(value)
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        guard let value = Double(text) else { throw JSONParseError(offset: start, reason: "invalid number") }
        guard value.isFinite else { throw JSONParseError(offset: start, reason: "number \(text) is out of range") }
        return .double(value)
    }

    /// Whether `strtod` reads '.' as the decimal point: true unless the process has set a locale that does not
    /// (the "C" locale is the default); otherwise the Swift conversion below is used.
    private static var decimalPointIsDot: Bool {
        guard let conventions = localeconv(), let point = conventions.pointee.decimal_point else { return false }
        return point[0] == CChar(UInt8(ascii: ".")) && point[1] == 0
    }

    private static let powersOfTen: [Double] = (0...22).map { exponent in
        var value = 1.0
        for _ in 0..<exponent { value *= 10 }
        return value
    }

    private static func printable(_ byte: UInt8) -> String {
        (0x20..<0x7F).contains(byte) ? String(UnicodeScalar(byte)) : "\\x" + String(byte, radix: 16)
    }
}

/// Why a JSON document could not be parsed.
package struct JSONParseError: Error, Sendable, CustomStringConvertible {
    /// The byte offset where parsing stopped.
    package var offset: Int
    /// What was wrong.
    package var reason: String

    package var description: String { "\(reason) at byte \(offset)" }
}
