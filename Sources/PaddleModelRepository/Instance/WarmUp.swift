import KServeProtocol
import PaddleInference

/// A verifying warm-up: one run of a freshly loaded model on zero-filled inputs, before it takes traffic.
///
/// Unlike a best-effort warm-up, a failure here fails the load, so a version that loads but cannot run never
/// replaces one that can. Dynamic dimensions are 1 for the batch axis and `dynamicSize` for the others.
public enum WarmUp {
    /// Runs `pool` once on zeros shaped by `inputs` (the served declarations).
    ///
    /// - Throws: `PaddleError` from building the inputs or from the run.
    public static func run(pool: PredictorPool, inputs: [TensorInfo], dynamicSize: Int = 32) async throws(PaddleError) {
        var tensors: [String: Tensor] = [:]
        for info in inputs {
            let shape = info.shape.enumerated().map { axis, size in size >= 0 ? size : (axis == 0 ? 1 : dynamicSize) }
            do {
                tensors[info.name] = try Tensor(shape: shape, dataType: info.dataType, initializingWith: {
                    $0.initializeMemory(as: UInt8.self, repeating: 0)
                })
            } catch let error as PaddleError {
                throw error
            } catch {
                throw PaddleError(.invalidArgument, "cannot make a warm-up input \(info.name): \(error)")
            }
        }
        _ = try await pool.run(tensors)
    }
}
