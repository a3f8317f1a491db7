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

    /// A tensor from a JSON `data` value, nested or flat, whose leaves must number `elementCount`.
    static func tensor(
        shape: [Int], dataType: DataType, elementCount: Int, json: JSONValue, name: String
    ) throws(ServingError) -> Tensor {
        let count = try leafCount(json, name: name)
        guard count == elementCount else {
            throw .badRequest("input '\(name)' of shape \(shape) needs \(elementCount) values, 'data' has \(count)")
        }
        do {
            return try Tensor(shape: shape, dataType: dataType) { buffer in
                var index = 0
                try fill(json, dataType: dataType, name: name, into: buffer, index: &index)
            }
        } catch {
            throw ServingError.from(error)
        }
    }

    private static func leafCount(_ value: JSONValue, name: String) throws(ServingError) -> Int {
        switch value {
        case .array(let elements):
            var count = 0
            for element in elements { count += try leafCount(element, name: name) }
            return count
        case .number, .bool: return 1
        case .string:
            throw .badRequest("input '\(name)' has string data, which only BYTES tensors take (not supported)")
        case .null, .object:
            throw .badRequest("input '\(name)': 'data' must hold numbers or booleans, not \(value.kindName)")
        }
    }

    private static func fill(
        _ value: JSONValue, dataType: DataType, name: String, into buffer: UnsafeMutableRawBufferPointer,
        index: inout Int
    ) throws(ServingError) {
        if case .array(let elements) = value {
            for element in elements { try fill(element, dataType: dataType, name: name, into: buffer, index: &index) }
            return
        }
        let offset = index * dataType.byteSize
        index += 1
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
