import CPaddle

/// The element types of Paddle Inference tensors (all 9 that the engine's tensor API supports).
public enum DataType: String, Sendable, CaseIterable, Codable, CustomStringConvertible {
    /// IEEE 754 single precision (`Float`).
    case float32
    /// IEEE 754 double precision (`Double`).
    case float64
    /// IEEE 754 half precision (`Float16`).
    case float16
    /// bfloat16: the upper 16 bits of a float32 (``BFloat16``); needs oneDNN's `avx512_core` to run.
    case bfloat16
    /// 64-bit signed integer (`Int64`).
    case int64
    /// 32-bit signed integer (`Int32`).
    case int32
    /// 8-bit unsigned integer (`UInt8`).
    case uint8
    /// 8-bit signed integer (`Int8`).
    case int8
    /// Boolean, one byte per element (`Bool`).
    case bool

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .float64, .int64: 8
        case .float32, .int32: 4
        case .float16, .bfloat16: 2
        case .uint8, .int8, .bool: 1
        }
    }

    /// The type's name, for example `float32`.
    public var description: String { rawValue }

    /// The engine's `paddle_infer::DataType` number.
    var engineValue: Int32 {
        switch self {
        case .float32: Int32(PDS_FLOAT32)
        case .int64: Int32(PDS_INT64)
        case .int32: Int32(PDS_INT32)
        case .uint8: Int32(PDS_UINT8)
        case .int8: Int32(PDS_INT8)
        case .float16: Int32(PDS_FLOAT16)
        case .bool: Int32(PDS_BOOL)
        case .float64: Int32(PDS_FLOAT64)
        case .bfloat16: Int32(PDS_BFLOAT16)
        }
    }

    init?(engineValue: Int32) {
        guard let match = DataType.allCases.first(where: { $0.engineValue == engineValue }) else { return nil }
        self = match
    }
}
