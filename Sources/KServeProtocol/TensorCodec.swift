import PaddleInference

/// Converts tensors to and from the protocol's two encodings: JSON `data` arrays and raw binary data.
///
/// Binary data is little-endian, row-major, `byteSize` bytes per element, BOOL as one byte (0 or 1), as in
/// Triton's binary tensor extension.
public enum TensorCodec {
    // MARK: Decoding

    /// A tensor copied from binary data whose size was already checked against the shape (also used by the gRPC
    /// service for `raw_input_contents`).
    package static func tensor(
        shape: [Int], dataType: DataType, binary: UnsafeRawBufferPointer
    ) throws(ServingError) -> Tensor {
        do {
            if dataType == .bool {
                return try Tensor(shape: shape, dataType: .bool) { buffer in
                    for index in 0..<binary.count { buffer[index] = binary[index] == 0 ? 0 : 1 }
                }
            }
            return try Tensor(shape: shape, dataType: dataType, bytes: binary)
        } catch {
            throw ServingError.from(error)
        }
    }

    /// A tensor from a JSON `data` value whose leaves must number `elementCount`: an array deferred by
    /// ``JSONParser/parseInferenceHeader(_:)``, parsed here straight into the tensor's storage, or one number.
    ///
    /// Parsing numbers once, into their final place, halves the work of a tree of values copied afterwards
    /// (`bench/json`, docs/benchmarks.md section 8).
    static func tensor(
        shape: [Int], dataType: DataType, elementCount: Int, json: JSONValue, document: UnsafeRawBufferPointer,
        name: String
    ) throws(ServingError) -> Tensor {
        do {
            return try Tensor(shape: shape, dataType: dataType) { buffer in
                var count = 0
                switch json {
                case .deferredArray(let range):
                    do {
                        try JSONParser.forEachLeaf(of: range, in: document) { leaf in
                            if count < elementCount {
                                try store(leaf, dataType: dataType, name: name, into: buffer, at: count)
                            } else {
                                try checkLeaf(leaf, name: name)
                            }
                            count += 1
                        }
                    } catch let error as JSONParseError {
                        throw ServingError.badRequest("malformed JSON request: input '\(name)': \(error)")
                    }
                case .array:
                    // A tree of values (what `JSONParser.parse` gives): only the inference header defers arrays.
                    throw ServingError.badRequest("input '\(name)': 'data' was not parsed for decoding")
                default:
                    if elementCount >= 1 { try store(json, dataType: dataType, name: name, into: buffer, at: 0) }
                    count = 1
                }
                guard count == elementCount else {
                    throw ServingError.badRequest(
                        "input '\(name)' of shape \(shape) needs \(elementCount) values, 'data' has \(count)")
                }
            }
        } catch {
            throw ServingError.from(error)
        }
    }

    /// Refuses a leaf no tensor takes (past the expected count, so that the count can still be reported).
    private static func checkLeaf(_ value: JSONValue, name: String) throws(ServingError) {
        switch value {
        case .number, .bool: return
        case .string:
            throw .badRequest("input '\(name)' has string data, which only BYTES tensors take (not supported)")
        default:
            throw .badRequest("input '\(name)': 'data' must hold numbers or booleans, not \(value.kindName)")
        }
    }

    private static func store(
        _ value: JSONValue, dataType: DataType, name: String, into buffer: UnsafeMutableRawBufferPointer, at index: Int
    ) throws(ServingError) {
        try checkLeaf(value, name: name)
        let offset = index * dataType.byteSize
        switch dataType {
        case .bool:
            let flag: Bool
            switch value {
            case .bool(let value): flag = value
            case .number(let number) where number.exactInt64 == 0 || number.exactInt64 == 1:
                flag = number.exactInt64 == 1
            default: throw .badRequest("input '\(name)' is BOOL but 'data' holds \(value.kindName) that is not 0 or 1")
            }
            buffer.storeBytes(of: flag ? 1 : 0, toByteOffset: offset, as: UInt8.self)
        case .float32:
            let number = try self.number(value, name: name, type: "FP32")
            let float = Float(number)
            guard float.isFinite || !number.isFinite else {
                throw .badRequest("input '\(name)': value \(number) does not fit FP32")
            }
            buffer.storeBytes(of: float, toByteOffset: offset, as: Float.self)
        case .float64:
            buffer.storeBytes(of: try self.number(value, name: name, type: "FP64"), toByteOffset: offset, as: Double.self)
        case .int64:
            buffer.storeBytes(of: try integer(value, name: name, as: Int64.self), toByteOffset: offset, as: Int64.self)
        case .int32:
            buffer.storeBytes(of: try integer(value, name: name, as: Int32.self), toByteOffset: offset, as: Int32.self)
        case .int8:
            buffer.storeBytes(of: try integer(value, name: name, as: Int8.self), toByteOffset: offset, as: Int8.self)
        case .uint8:
            buffer.storeBytes(of: try integer(value, name: name, as: UInt8.self), toByteOffset: offset, as: UInt8.self)
        case .float16, .bfloat16:
            throw .badRequest("input '\(name)' has datatype \(dataType.kserveName), which must be sent as binary data")
        }
    }

    private static func number(_ value: JSONValue, name: String, type: String) throws(ServingError) -> Double {
        switch value {
        case .number(let number): return number.doubleValue
        default: throw .badRequest("input '\(name)' is \(type) but 'data' holds \(value.kindName)")
        }
    }

    private static func integer<Value: FixedWidthInteger>(
        _ value: JSONValue, name: String, as type: Value.Type
    ) throws(ServingError) -> Value {
        guard case .number(let number) = value else {
            throw .badRequest("input '\(name)' is an integer tensor but 'data' holds \(value.kindName)")
        }
        let exact: Value?
        switch number {
        case .int(let value): exact = Value(exactly: value)
        case .uint(let value): exact = Value(exactly: value)
        case .double(let value): exact = value.isFinite ? Value(exactly: value) : nil
        }
        guard let exact else {
            throw .badRequest(
                "input '\(name)': \(number.doubleValue) is not an integer that fits \(Value.self) (\(Value.min)...\(Value.max))")
        }
        return exact
    }

    // MARK: Encoding

    /// Writes a tensor's elements as a flat JSON array.
    package static func writeJSONData(_ tensor: Tensor, into writer: inout JSONWriter) {
        tensor.withUnsafeBytes { bytes in
            let count = tensor.elementCount
            switch tensor.dataType {
            case .float32: writer.array(0..<count) { $0.float(bytes.loadUnaligned(fromByteOffset: $1 * 4, as: Float.self)) }
            case .float64:
                writer.array(0..<count) { $0.double(bytes.loadUnaligned(fromByteOffset: $1 * 8, as: Double.self)) }
            case .int64: writer.array(0..<count) { $0.int(bytes.loadUnaligned(fromByteOffset: $1 * 8, as: Int64.self)) }
            case .int32: writer.array(0..<count) { $0.int(bytes.loadUnaligned(fromByteOffset: $1 * 4, as: Int32.self)) }
            case .int8: writer.array(0..<count) { $0.int(bytes.loadUnaligned(fromByteOffset: $1, as: Int8.self)) }
            case .uint8: writer.array(0..<count) { $0.int(bytes[$1]) }
            case .bool: writer.array(0..<count) { $0.bool(bytes[$1] != 0) }
            case .float16:
                writer.array(0..<count) {
                    $0.float(Float(bytes.loadUnaligned(fromByteOffset: $1 * 2, as: Float16.self)))
                }
            case .bfloat16:
                writer.array(0..<count) {
                    $0.float(BFloat16(bitPattern: bytes.loadUnaligned(fromByteOffset: $1 * 2, as: UInt16.self)).floatValue)
                }
            }
        }
    }
}
