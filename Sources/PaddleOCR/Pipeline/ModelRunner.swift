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

    /// Runs `body` on one of this model's pool threads, with that thread's predictor: image decoding, resizing,
    /// contours and warps run there too, never on Swift's cooperative threads (which also serve the HTTP requests
    /// of every other route of the server).
    func onPoolThread<R: Sendable>(_ body: @escaping @Sendable (Predictor) throws -> R) async throws(OCRError) -> R {
        do {
            return try await pool.withPredictor(body)
        } catch let error as OCRError {
            throw error
        } catch {
            throw OCRError(.inference, "model \(path) failed", underlying: error)
        }
    }

    /// On a pool thread: makes one float32 NCHW tensor with `prepare`, runs the model on it and hands its first
    /// output to `finish`.
    func run<R: Sendable>(
        prepare: @escaping @Sendable () throws(OCRError) -> (shape: [Int], values: [Float]),
        finish: @escaping @Sendable (Tensor) throws(OCRError) -> R
    ) async throws(OCRError) -> R {
        try await onPoolThread { predictor in
            let (shape, values) = try prepare()
            return try finish(try self.run(predictor, shape: shape, values: values))
        }
    }

    /// Runs the model with `predictor` (the calling pool thread's) on one float32 NCHW tensor; returns its first
    /// output.
    func run(_ predictor: Predictor, shape: [Int], values: [Float]) throws(OCRError) -> Tensor {
        do {
            let outputs = try predictor.run([inputName: try Tensor(shape: shape, scalars: values)], outputs: [outputName])
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
