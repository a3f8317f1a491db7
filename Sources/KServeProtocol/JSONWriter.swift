
/// Writes JSON text into a byte array: the one encoder behind every response body.
///
/// Values are appended in call order; the caller is responsible for well-formed nesting (``object(_:)`` and
/// ``array(_:)`` help). Non-finite floats are written as `NaN`, `Infinity` and `-Infinity`, which Python's `json`
/// module (and so `tritonclient`) reads back.
package struct JSONWriter: Sendable {
    /// The text written so far.
    package private(set) var bytes: [UInt8] = []

    package init(capacity: Int = 256) {
        bytes.reserveCapacity(capacity)
    }

    /// Appends raw JSON text.
    package mutating func raw(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    /// Appends `"string"` with the escapes JSON needs.
    package mutating func string(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: bytes.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    package mutating func int<Value: BinaryInteger>(_ value: Value) {
        raw(String(value))
    }

    package mutating func bool(_ value: Bool) {
        raw(value ? "true" : "false")
    }

    package mutating func null() {
        raw("null")
    }

    package mutating func double(_ value: Double) {
        if value.isNaN { raw("NaN") } else if value.isInfinite { raw(value < 0 ? "-Infinity" : "Infinity") } else {
            raw(value.description)
        }
    }

    package mutating func float(_ value: Float) {
        if value.isNaN { raw("NaN") } else if value.isInfinite { raw(value < 0 ? "-Infinity" : "Infinity") } else {
            raw(value.description)
        }
    }

    /// Writes `{ ... }`; `body` writes the members with ``ObjectWriter/member(_:_:)``.
    package mutating func object(_ body: (inout ObjectWriter) -> Void) {
        bytes.append(UInt8(ascii: "{"))
        var members = ObjectWriter(writer: self)
        self = JSONWriter()
        body(&members)
        self = members.writer
        bytes.append(UInt8(ascii: "}"))
    }

    /// Writes `[ ... ]` with one element per item of `items`.
    package mutating func array<Items: Sequence>(_ items: Items, _ element: (inout JSONWriter, Items.Element) -> Void) {
        bytes.append(UInt8(ascii: "["))
        var first = true
        for item in items {
            if !first { bytes.append(UInt8(ascii: ",")) }
            first = false
            element(&self, item)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// Writes a ``JSONValue``.
    package mutating func value(_ value: JSONValue) {
        switch value {
        case .null: null()
        case .bool(let flag): bool(flag)
        case .number(.int(let number)): int(number)
        case .number(.uint(let number)): int(number)
        case .number(.double(let number)): double(number)
        case .string(let text): string(text)
        case .array(let elements): array(elements) { $0.value($1) }
        case .deferredArray:
            // Only an input's `data` is deferred, and it is decoded into a tensor, never written back; without its
            // document there is nothing to write.
            null()
        case .object(let object):
            self.object { members in
                for (key, member) in object.members { members.member(key) { $0.value(member) } }
            }
        }
    }

    /// Writes the members of one object, adding the commas.
    package struct ObjectWriter {
        fileprivate var writer: JSONWriter
        private var first = true

        fileprivate init(writer: JSONWriter) {
            self.writer = writer
        }

        /// Writes `"key": <value>`, where `value` writes the value.
        package mutating func member(_ key: String, _ value: (inout JSONWriter) -> Void) {
            if !first { writer.bytes.append(UInt8(ascii: ",")) }
            first = false
            writer.string(key)
            writer.bytes.append(UInt8(ascii: ":"))
            value(&writer)
        }

        package mutating func member(_ key: String, string: String) { member(key) { $0.string(string) } }
        package mutating func member(_ key: String, int: Int) { member(key) { $0.int(int) } }
        package mutating func member(_ key: String, bool: Bool) { member(key) { $0.bool(bool) } }
        package mutating func member(_ key: String, strings: [String]) {
            member(key) { $0.array(strings) { $0.string($1) } }
        }
        package mutating func member(_ key: String, ints: [Int]) {
            member(key) { $0.array(ints) { $0.int($1) } }
        }
    }
}
