/// A Swift type whose values can be the elements of a ``Tensor``.
///
/// Conforming types have the same size and bit layout as the engine's element type.
public protocol TensorElement: Sendable, BitwiseCopyable {
    /// The engine element type this Swift type stands for.
    static var dataType: DataType { get }
}

extension Float: TensorElement { public static var dataType: DataType { .float32 } }
extension Double: TensorElement { public static var dataType: DataType { .float64 } }
extension Float16: TensorElement { public static var dataType: DataType { .float16 } }
extension Int64: TensorElement { public static var dataType: DataType { .int64 } }
extension Int32: TensorElement { public static var dataType: DataType { .int32 } }
extension UInt8: TensorElement { public static var dataType: DataType { .uint8 } }
extension Int8: TensorElement { public static var dataType: DataType { .int8 } }
extension Bool: TensorElement { public static var dataType: DataType { .bool } }
extension BFloat16: TensorElement { public static var dataType: DataType { .bfloat16 } }
