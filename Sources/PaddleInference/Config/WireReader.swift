/// Reads protobuf wire format, throwing on anything out of bounds.
struct WireReader {
    struct Malformed: Error { let reason: String }

    let bytes: UnsafeRawBufferPointer
    var offset = 0

    var atEnd: Bool { offset >= bytes.count }

    mutating func varint() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < bytes.count else { throw Malformed(reason: "truncated varint") }
            let byte = bytes[offset]
            offset += 1
            guard shift < 64 else { throw Malformed(reason: "varint too long") }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    mutating func tag() throws -> (field: UInt64, wire: UInt64) {
        let key = try varint()
        let field = key >> 3
        guard field > 0 else { throw Malformed(reason: "field number 0") }
        return (field, key & 7)
    }

    mutating func lengthDelimited() throws -> UnsafeRawBufferPointer {
        let length = try varint()
        guard length <= UInt64(bytes.count - offset) else { throw Malformed(reason: "length beyond the end") }
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + Int(length))])
        offset += Int(length)
        return slice
    }

    mutating func skip(wire: UInt64) throws {
        switch wire {
        case 0: _ = try varint()
        case 1: try advance(8)
        case 2: _ = try lengthDelimited()
        case 5: try advance(4)
        default: throw Malformed(reason: "wire type \(wire)")
        }
    }

    mutating func advance(_ n: Int) throws {
        guard n <= bytes.count - offset else { throw Malformed(reason: "truncated field") }
        offset += n
    }
}
