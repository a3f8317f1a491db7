import PaddleInference

extension DataType {
    /// The Open Inference Protocol's name for this type (`FP32`, `INT64`, `BOOL`, ...).
    public var kserveName: String {
        switch self {
        case .float32: "FP32"
        case .float64: "FP64"
        case .float16: "FP16"
        case .bfloat16: "BF16"
        case .int64: "INT64"
        case .int32: "INT32"
        case .uint8: "UINT8"
        case .int8: "INT8"
        case .bool: "BOOL"
        }
    }

    /// Triton's model-configuration name for this type (`TYPE_FP32`, ...).
    public var tritonConfigName: String { "TYPE_" + (self == .bool ? "BOOL" : kserveName) }

    /// The type with the Open Inference Protocol name `name`, or `nil` when the engine has no such type.
    public init?(kserveName name: String) {
        switch name {
        case "FP32": self = .float32
        case "FP64": self = .float64
        case "FP16": self = .float16
        case "BF16": self = .bfloat16
        case "INT64": self = .int64
        case "INT32": self = .int32
        case "UINT8": self = .uint8
        case "INT8": self = .int8
        case "BOOL": self = .bool
        default: return nil
        }
    }

    /// Whether JSON `data` can carry this type (FP16 and BF16 travel only as binary data, as in Triton).
    public var isJSONRepresentable: Bool { self != .float16 && self != .bfloat16 }

    /// The Open Inference Protocol type names that exist but that the engine cannot run.
    static let protocolOnlyNames: Set<String> = ["BYTES", "UINT16", "UINT32", "UINT64", "INT16"]
}
