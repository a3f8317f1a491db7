import PaddleInference

/// One model behind a ``PredictorPool``: single input, first output. Safe to share across tasks.
final class ModelRunner: Sendable {
    let pool: PredictorPool
    let inputName: String
    let outputName: String
    let path: String

    /// Loads the model at `path` with the reference's engine settings (IR optimisation and memory reuse on,
    /// the two fuse passes RapidOCR deletes removed).
    init(path: String, options: OCROptions.Models) throws(OCRError) {
        self.path = path
        do {
            var config = try Config(model: path)
            config.cpuThreads = options.cpuThreads
            config.oneDNN = options.oneDNN
            config.oneDNNCacheCapacity = options.oneDNNCacheCapacity
            config.memoryOptim = config.format != .pirJSON  // PIR models cannot use it in Paddle 3.3.1
            config.irOptim = true
            config.deletedPasses = ["conv_transpose_eltwiseadd_bn_fuse_pass", "matmul_transpose_reshape_fuse_pass"]
            pool = try PredictorPool(
                config: config, options: .init(size: options.poolSize, queueCapacity: 1024, defaultTimeout: nil))
        } catch {
            let code: OCRError.Code = error.code == .modelFile ? .modelNotFound : .invalidModel
            throw OCRError(code, "cannot load model \(path)", underlying: error)
        }
        guard let input = pool.inputs.first, let output = pool.outputs.first else {
            throw OCRError(.invalidModel, "model \(path) has no inputs or outputs")
        }
        inputName = input.name
        outputName = output.name
    }

    /// Runs the model on one float32 NCHW tensor and returns its first output.
    func run(shape: [Int], values: [Float]) async throws(OCRError) -> Tensor {
        do {
            let tensor = try Tensor(shape: shape, scalars: values)
            let outputs = try await pool.run([inputName: tensor], outputs: [outputName])
            guard let out = outputs[outputName] else {
                throw OCRError(.inference, "model \(path) returned no \(outputName)")
            }
            return out
        } catch let error as OCRError {
            throw error
        } catch {
            throw OCRError(.inference, "running model \(path) on input \(shape) failed", underlying: error)
        }
    }

    func shutdown() async { await pool.shutdown() }
}
