/// A bfloat16 value (the upper 16 bits of an IEEE float32), as stored by the engine.
///
/// Swift has no native bfloat16; this type carries the bit pattern and converts to and from `Float`
/// (rounding to nearest even).
public struct BFloat16: Sendable, Hashable, BitwiseCopyable, CustomStringConvertible {
    /// The raw 16-bit pattern.
    public var bitPattern: UInt16

    /// The value with these 16 bits (the upper half of a float32's bits).
    public init(bitPattern: UInt16) { self.bitPattern = bitPattern }

    /// Rounds `value` to the nearest bfloat16 (ties to even); NaN stays NaN.
    public init(_ value: Float) {
        let bits = value.bitPattern
        if value.isNaN {
            bitPattern = UInt16(truncatingIfNeeded: bits >> 16) | 0x0040
        } else {
            let rounding: UInt32 = 0x7FFF + ((bits >> 16) & 1)
            bitPattern = UInt16(truncatingIfNeeded: (bits &+ rounding) >> 16)
        }
    }

    /// The exact float32 value.
    public var floatValue: Float { Float(bitPattern: UInt32(bitPattern) << 16) }

    /// The value as a float32 prints it.
    public var description: String { floatValue.description }
}
