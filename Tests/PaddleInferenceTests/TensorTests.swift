import Foundation
import PaddleInference
import Testing

@Suite("Tensor")
struct TensorTests {
    @Test(arguments: DataType.allCases)
    func npy_roundTripsEveryDataType(_ type: DataType) throws {
        let bytes = (0..<(6 * type.byteSize)).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        let cleaned = type == .bool ? bytes.map { $0 & 1 } : bytes
        let tensor = try cleaned.withUnsafeBytes { try Tensor(shape: [2, 3], dataType: type, bytes: $0) }
        let decoded = try Tensor(npy: tensor.npyData(), as: type == .bfloat16 ? .bfloat16 : nil)
        #expect(decoded == tensor)
    }

    @Test func npy_rejectsMalformedFiles() {
        #expect(throws: PaddleError.self) { _ = try Tensor(npy: Data([1, 2, 3])) }
        let good = try! Tensor(shape: [4], scalars: [Float](repeating: 1, count: 4)).npyData()
        #expect(throws: PaddleError.self) { _ = try Tensor(npy: good.prefix(good.count - 1)) }
    }

    @Test func scalars_checksType() throws {
        let t = try Tensor(shape: [2], scalars: [Int32(1), 2])
        #expect(try t.scalars(as: Int32.self) == [1, 2])
        #expect(throws: PaddleError.self) { _ = try t.scalars(as: Float.self) }
        #expect(t.elementCount == 2 && t.byteCount == 8)
    }

    @Test func bfloat16_roundsToNearestEven() {
        #expect(BFloat16(1.0).bitPattern == 0x3F80)
        #expect(BFloat16(1.0).floatValue == 1.0)
        #expect(BFloat16(Float(bitPattern: 0x3F80_8000)).bitPattern == 0x3F80)  // tie, even stays
        #expect(BFloat16(Float(bitPattern: 0x3F81_8000)).bitPattern == 0x3F82)  // tie, odd rounds up
        #expect(BFloat16(.nan).floatValue.isNaN)
    }
}
