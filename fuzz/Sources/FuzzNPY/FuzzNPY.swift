import CFuzzerDriver
import Foundation
import PaddleInference

/// libFuzzer entry point: a NumPy `.npy` file (`paddle-swift run --input x=x.npy`) through ``Tensor/init(npy:as:)``,
/// once as the file's own dtype and once as bfloat16 bit patterns. Any input must give a tensor or a
/// `PaddleError`; a tensor read back must write the same payload.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNPY(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = Data(UnsafeBufferPointer(start: data, count: size))
    if let tensor = try? Tensor(npy: bytes) {
        precondition(tensor.byteCount == tensor.elementCount * tensor.dataType.byteSize)
        let again = try? Tensor(npy: tensor.npyData())
        precondition(again?.shape == tensor.shape && again?.dataType == tensor.dataType)
    }
    _ = try? Tensor(npy: bytes, as: .bfloat16)
    return 0
}

/// The process entry point (SwiftPM renames `main` to `FuzzNPY_main`): runs libFuzzer on ``fuzzNPY(_:_:)``.
@_cdecl("FuzzNPY_main")
public func fuzzNPYMain(
    _ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>
) -> Int32 {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzNPY(data, size) }
}
