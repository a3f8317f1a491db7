import Foundation

/// Reading and writing NumPy `.npy` files (format versions 1.0–3.0, C order, little-endian).
///
/// bfloat16 has no NumPy dtype: it is read from and written as `<u2` bit patterns when the caller asks for
/// ``DataType/bfloat16`` (see ``init(npy:as:)``).
extension Tensor {
    /// Decodes a `.npy` file's bytes.
    ///
    /// - Parameters:
    ///   - data: The file's bytes.
    ///   - override: Read the elements as this type instead of the file's own (only `bfloat16` over `<u2`/`<i2`/`<f2`
    ///     bits is allowed).
    /// - Throws: ``PaddleError/Code/invalidArgument`` for a malformed file, a Fortran-order or big-endian array,
    ///   or a dtype the engine does not have.
    public init(npy data: Data, as override: DataType? = nil) throws(PaddleError) {
        let header = try NumPyHeader.parse(data, bitsAsBFloat16: override == .bfloat16)
        var dataType = header.dataType
        if let override, override != dataType {
            guard override == .bfloat16, dataType.byteSize == 2 else {
                throw PaddleError(.dtypeMismatch, "the .npy file holds \(dataType), which cannot be read as \(override)")
            }
            dataType = override
        }
        let count = try Tensor.elementCount(of: header.shape)
        let needed = count * dataType.byteSize
        guard data.count - header.dataOffset == needed else {
            throw PaddleError(
                .invalidArgument,
                ".npy payload has \(data.count - header.dataOffset) bytes, shape \(header.shape) of \(dataType) needs \(needed)")
        }
        let payload = data[(data.startIndex + header.dataOffset)...]
        let tensor = try PaddleError.typed {
            try payload.withUnsafeBytes { try Tensor(shape: header.shape, dataType: dataType, bytes: $0) }
        }
        self = tensor
    }

    /// Reads a `.npy` file.
    public init(npyFile path: String, as override: DataType? = nil) throws(PaddleError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PaddleError(.invalidArgument, "cannot read \(path)")
        }
        try self.init(npy: data, as: override)
    }

    /// Encodes the tensor as a `.npy` file (version 1.0). bfloat16 is written as `<u2` bit patterns.
    public func npyData() -> Data {
        let shapeText: String
        switch shape.count {
        case 0: shapeText = "()"
        case 1: shapeText = "(\(shape[0]),)"
        default: shapeText = "(" + shape.map(String.init).joined(separator: ", ") + ")"
        }
        var dict = "{'descr': '\(NumPyHeader.descriptor(for: dataType))', 'fortran_order': False, 'shape': \(shapeText), }"
        // Magic (6) + version (2) + length (2) + header, padded with spaces to a multiple of 64, ending in \n.
        let unpadded = 10 + dict.utf8.count + 1
        dict += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var out = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let length = UInt16(dict.utf8.count)
        out.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
        out.append(contentsOf: Array(dict.utf8))
        withUnsafeBytes { out.append(contentsOf: $0) }
        return out
    }

    /// Writes the tensor to a `.npy` file.
    public func writeNPY(to path: String) throws(PaddleError) {
        do {
            try npyData().write(to: URL(fileURLWithPath: path))
        } catch {
            throw PaddleError(.invalidArgument, "cannot write \(path): \(error.localizedDescription)")
        }
    }
}

/// The parsed header of a `.npy` file.
struct NumPyHeader {
    var dataType: DataType
    var shape: [Int]
    var dataOffset: Int

    static func descriptor(for type: DataType) -> String {
        switch type {
        case .float32: "<f4"
        case .float64: "<f8"
        case .float16: "<f2"
        case .bfloat16: "<u2"
        case .int64: "<i8"
        case .int32: "<i4"
        case .uint8: "|u1"
        case .int8: "|i1"
        case .bool: "|b1"
        }
    }

    static func dataType(for descriptor: String) -> DataType? {
        // '=' means native order, which is little-endian on every platform this library runs on.
        var d = descriptor
        if d.hasPrefix("=") { d = "<" + d.dropFirst() }
        switch d {
        case "<f4": return .float32
        case "<f8": return .float64
        case "<f2": return .float16
        case "<i8": return .int64
        case "<i4": return .int32
        case "|u1", "<u1": return .uint8
        case "|i1", "<i1": return .int8
        case "|b1", "<b1", "?": return .bool
        default: return nil
        }
    }

    /// Parses the header. `bitsAsBFloat16` reads 2-byte integer arrays (`<u2`, `<i2`) as bfloat16 bit patterns.
    static func parse(_ data: Data, bitsAsBFloat16: Bool = false) throws(PaddleError) -> NumPyHeader {
        let bytes = [UInt8](data.prefix(12))
        guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1...5]) == Array("NUMPY".utf8) else {
            throw PaddleError(.invalidArgument, "not a .npy file (bad magic)")
        }
        let major = bytes[6]
        let headerLength: Int
        let start: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            start = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw PaddleError(.invalidArgument, "truncated .npy header") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            start = 12
        default:
            throw PaddleError(.invalidArgument, "unsupported .npy version \(major)")
        }
        guard data.count >= start + headerLength,
            let text = String(data: data[(data.startIndex + start)..<(data.startIndex + start + headerLength)], encoding: .utf8)
        else { throw PaddleError(.invalidArgument, "truncated .npy header") }

        guard let descr = value(of: "descr", in: text)?.trimmingCharacters(in: CharacterSet(charactersIn: "'\"")),
            let fortran = value(of: "fortran_order", in: text),
            let shapeText = value(of: "shape", in: text)
        else { throw PaddleError(.invalidArgument, "malformed .npy header: \(text)") }
        guard fortran == "False" else { throw PaddleError(.invalidArgument, "Fortran-order .npy arrays are not supported") }
        let bitPattern = bitsAsBFloat16 && (descr == "<u2" || descr == "<i2")
        guard let type = bitPattern ? .bfloat16 : dataType(for: descr) else {
            throw PaddleError(.dtypeMismatch, ".npy dtype \(descr) is not an engine element type (or is big-endian)")
        }
        let dims = shapeText.trimmingCharacters(in: CharacterSet(charactersIn: "()"))
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        var shape: [Int] = []
        for dim in dims {
            guard let n = Int(dim), n >= 0 else { throw PaddleError(.invalidArgument, "bad .npy shape \(shapeText)") }
            shape.append(n)
        }
        return NumPyHeader(dataType: type, shape: shape, dataOffset: start + headerLength)
    }

    /// The text after `'key':` up to the next top-level comma (shape tuples keep their commas).
    private static func value(of key: String, in header: String) -> String? {
        guard let keyRange = header.range(of: "'\(key)':") ?? header.range(of: "\"\(key)\":") else { return nil }
        var rest = header[keyRange.upperBound...].drop(while: { $0 == " " })
        if rest.first == "(" {
            guard let close = rest.firstIndex(of: ")") else { return nil }
            return String(rest[...close])
        }
        if let end = rest.firstIndex(where: { $0 == "," || $0 == "}" }) { rest = rest[..<end] }
        return rest.trimmingCharacters(in: .whitespaces)
    }
}
