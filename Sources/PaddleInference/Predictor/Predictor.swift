/// A loaded model that runs inference on the Paddle Inference engine.
///
/// **Not thread-safe.** A predictor must be used by one thread (or task) at a time; it is deliberately not
/// `Sendable`. To serve concurrent callers, use a ``PredictorPool``, which owns clones of one predictor and runs
/// each on its own thread; or call ``clone()`` yourself and give each thread its own clone. Clones share the
/// model's weights for ProgramDesc (`.pdmodel`) models; Paddle 3.3.1 reloads the weights for each clone of a PIR
/// `.json` model.
///
/// ```swift
/// let predictor = try Predictor(config: Config(model: ".paddle/models/ppocrv4/ch_PP-OCRv4_rec_infer"))
/// print(predictor.inputs)                              // [x: float32 [?, 3, 48, ?]]
/// let outputs = try predictor.run(["x": input])
/// ```
///
/// Lifecycle: ``state`` moves from ``State/loading`` to ``State/ready`` (or ``State/failed(_:)`` when
/// creation fails, reported to an `onStateChange` observer), and to ``State/destroyed`` after ``destroy()``.
/// The native predictor is released by ``destroy()`` or when the object is freed.
public final class Predictor {
    /// Where a predictor is in its life.
    public enum State: Sendable, Equatable {
        /// The engine is loading the model.
        case loading
        /// Loaded: the predictor can run.
        case ready
        /// Creation failed with this error (the initializer throws it too).
        case failed(PaddleError)
        /// ``Predictor/destroy()`` released the native predictor; every call now throws `.invalidState`.
        case destroyed
    }

    /// The config the predictor was built from.
    public let config: Config
    /// The model's inputs, in the engine's order.
    public let inputs: [TensorInfo]
    /// The model's outputs, in the engine's order.
    public let outputs: [TensorInfo]
    /// Where the predictor is in its life.
    public private(set) var state: State
    /// What the load did with ``Config/optimizationCache``: `nil` when the config names no cache. A clone reports
    /// its original's outcome.
    public let optimizationCacheOutcome: OptimizationCacheOutcome?

    private var native: Native.Predictor?
    /// The input tensors of the last run: the engine may still point at their bytes until the next run.
    private var lastInputs: [Tensor] = []

    /// Loads the model described by `config`.
    ///
    /// - Parameters:
    ///   - config: The model and engine options.
    ///   - onStateChange: Called with ``State/loading``, then ``State/ready`` or ``State/failed(_:)``.
    /// - Throws: ``PaddleError`` with code `.runtimeLoad` (no runtime), `.modelFile` (missing, empty or invalid
    ///   model files), `.integrity` (digest mismatch), `.unsupported` (GPU) or `.engineFailure`.
    public init(config: Config, onStateChange: ((State) -> Void)? = nil) throws(PaddleError) {
        self.config = config
        state = .loading
        onStateChange?(.loading)
        do throws(PaddleError) {
            try config.validateFiles()
            // Element types: the program's own declarations win (the engine's queries are incomplete in 3.3.1),
            // then the engine's answer.
            let declared = ProgramTypes.read(config.source)
            try Self.checkCPU(for: declared, source: config.source)
            let (native, outcome) = try Self.load(config)
            self.optimizationCacheOutcome = outcome
            func describe(_ entries: [(name: String, shape: [Int], dataType: DataType?)]) -> [TensorInfo] {
                entries.map { TensorInfo(name: $0.name, shape: $0.shape, dataType: declared[$0.name] ?? $0.dataType ?? .float32) }
            }
            self.inputs = describe(try native.ioInfo(outputs: false))
            self.outputs = describe(try native.ioInfo(outputs: true))
            self.native = native
        } catch {
            state = .failed(error)
            onStateChange?(state)
            throw error
        }
        state = .ready
        onStateChange?(.ready)
    }

    /// Refuses programs this CPU cannot run: Paddle 3.3.1 has no bfloat16 kernels below oneDNN's `avx512_core`, and
    /// its failures there say nothing useful ("could not create a primitive descriptor", or a bare
    /// `std::exception`).
    static func checkCPU(for declared: [String: DataType], source: ModelSource) throws(PaddleError) {
        guard declared.values.contains(.bfloat16) else { return }
        // oneDNN's effective instruction set (ONEDNN_MAX_CPU_ISA included) is known only once the runtime is loaded;
        // before that CPUFeatures sees the CPU's own flags alone.
        try PaddleRuntime.load()
        let cpu = CPUFeatures.read()
        guard !cpu.supportsBFloat16 else { return }
        throw PaddleError(
            .unsupported,
            "the model \(describe(source)) uses bfloat16, which Paddle's CPU kernels run only with AVX-512 "
                + "(oneDNN avx512_core or better); this CPU offers \(cpu). Run it on an AVX-512 CPU, or export "
                + "the model in float32")
    }

    private init(
        config: Config, native: Native.Predictor, inputs: [TensorInfo], outputs: [TensorInfo],
        optimizationCacheOutcome: OptimizationCacheOutcome?
    ) {
        self.config = config
        self.optimizationCacheOutcome = optimizationCacheOutcome
        self.native = native
        self.inputs = inputs
        self.outputs = outputs
        self.state = .ready
    }

    /// A new predictor for the same model. Weights are shared for ProgramDesc models (not for PIR `.json` models
    /// in Paddle 3.3.1). The clone is independent: use it from another thread.
    ///
    /// A released clone's engine predictor is not destroyed but kept for the next clone of the same family (Paddle
    /// 3.3.1 breaks the other predictors of a family when one of its clones is destroyed); the family's memory is
    /// returned when the original and all its clones are gone.
    public func clone() throws(PaddleError) -> Predictor {
        try clone(reusingReleased: true)
    }

    /// A clone that, unless `reusingReleased`, is a new engine clone even when the family keeps a released one (see
    /// ``PredictorPool/init(template:options:)``, whose pools must not take over clones released by other pools).
    func clone(reusingReleased: Bool) throws(PaddleError) -> Predictor {
        let native = try ready()
        return Predictor(
            config: config, native: try native.clone(reusingReleased: reusingReleased), inputs: inputs,
            outputs: outputs, optimizationCacheOutcome: optimizationCacheOutcome)
    }

    /// Releases the native predictor now. Later calls throw ``PaddleError/Code/invalidState``.
    public func destroy() {
        native = nil
        lastInputs = []
        state = .destroyed
    }

    /// Asks the engine to release cached intermediate tensors.
    public func clearIntermediateTensors() throws(PaddleError) {
        try ready().clearIntermediate()
    }

    /// Asks the engine to release unused memory; returns the bytes released (0 on CPU in 3.3.1).
    @discardableResult
    public func tryShrinkMemory() throws(PaddleError) -> UInt64 {
        try ready().tryShrinkMemory()
    }

    func ready() throws(PaddleError) -> Native.Predictor {
        guard let native else { throw PaddleError(.invalidState, "the predictor has been destroyed") }
        return native
    }

    static func describe(_ source: ModelSource) -> String {
        switch source {
        case .files(let program, let params): "\(program) + \(params)"
        case .directory(let dir): dir
        case .memory(let program, let params): "from memory (\(program.count) + \(params.count) bytes)"
        }
    }
}

// MARK: - Running

extension Predictor {
    /// How input bytes reach the engine.
    public enum InputTransfer: Sendable {
        /// The engine reads each tensor's bytes in place (zero copy). Safe because a ``Tensor`` is immutable and
        /// the predictor keeps it alive until the next run.
        case shared
        /// Each input is copied first, so the engine never sees the caller's memory (use this for tensors made
        /// with `Tensor(shape:dataType:unsafeNoCopy:deallocator:)` whose memory the caller will change).
        case copied
    }

    /// Runs the model and returns copies of the requested outputs (all of them by default).
    ///
    /// - Parameters:
    ///   - inputs: One tensor per model input, by name.
    ///   - outputNames: The outputs to return; `nil` for all.
    ///   - transfer: Zero copy (default) or copy for the inputs.
    /// - Returns: The outputs by name.
    /// - Throws: `.unknownName`, `.invalidArgument` (missing input), `.dtypeMismatch`, `.shapeMismatch`,
    ///   `.engineFailure` (Paddle's message attached), `.invalidState` (destroyed).
    public func run(
        _ inputs: [String: Tensor], outputs outputNames: [String]? = nil, transfer: InputTransfer = .shared
    ) throws(PaddleError) -> [String: Tensor] {
        try execute(inputs, transfer: transfer)
        var results: [String: Tensor] = [:]
        for name in try selectOutputs(outputNames) {
            results[name] = try copyOutput(name)
        }
        return results
    }

    /// ``run(_:outputs:transfer:)`` for inputs the caller has already checked against ``inputs`` (names, data
    /// types, shapes), so that they are checked once: the serving layer checks each request against its own
    /// declarations, which may only narrow the engine's (a configuration's dims must fit the model's). A missing
    /// input is still refused.
    package func run(checked inputs: [String: Tensor], outputs outputNames: [String]? = nil) throws(PaddleError)
        -> [String: Tensor]
    {
        try execute(inputs, transfer: .shared, check: false)
        var results: [String: Tensor] = [:]
        for name in try selectOutputs(outputNames) {
            results[name] = try copyOutput(name)
        }
        return results
    }

    /// Runs the model and calls `body` with zero-copy views of the outputs, valid only during the call.
    ///
    /// Use this to read large outputs without copying them. The views are lent to `body` and cannot escape it
    /// (``OutputViews`` is not copyable); copy what must outlive the call.
    public func run<Result>(
        _ inputs: [String: Tensor], transfer: InputTransfer = .shared,
        withOutputs body: (borrowing OutputViews) throws -> Result
    ) throws -> Result {
        try execute(inputs, transfer: transfer)
        return try body(OutputViews(predictor: self))
    }

    /// Copies output `name` of the last run.
    public func copyOutput(_ name: String) throws(PaddleError) -> Tensor {
        let native = try ready()
        guard outputs.contains(where: { $0.name == name }) else {
            throw PaddleError(.unknownName, "the model has no output \(name) (outputs: \(outputNamesText))")
        }
        // One engine handle gives shape, type and bytes; the bytes are copied into the new tensor.
        let (shape, dataType, bytes) = try native.outputView(name: name)
        return try PaddleError.typed {
            try Tensor(shape: shape, dataType: dataType) { buffer in
                if let source = bytes.baseAddress, buffer.count > 0 {
                    buffer.baseAddress!.copyMemory(from: source, byteCount: min(buffer.count, bytes.count))
                }
            }
        }
    }

    /// Checks the inputs (unless `check` is false: the caller did), hands them to the engine and runs it.
    private func execute(_ given: [String: Tensor], transfer: InputTransfer, check: Bool = true) throws(PaddleError) {
        let native = try ready()
        for name in given.keys where check && !inputs.contains(where: { $0.name == name }) {
            throw PaddleError(
                .unknownName, "the model has no input \(name) (inputs: \(inputs.map(\.name).joined(separator: ", ")))")
        }
        var staged: [Tensor] = []
        staged.reserveCapacity(inputs.count)
        for info in inputs {
            guard let tensor = given[info.name] else {
                throw PaddleError(.invalidArgument, "input \(info.name) is missing")
            }
            if check { try info.validate(tensor) }
            let engineTensor: Tensor
            switch transfer {
            case .shared: engineTensor = tensor
            case .copied:
                engineTensor = try PaddleError.typed {
                    try tensor.withUnsafeBytes { try Tensor(shape: tensor.shape, dataType: tensor.dataType, bytes: $0) }
                }
            }
            // Always handed over in place: mixing the engine's copy-in and in-place modes on one input can make
            // a later copy write into memory shared by an earlier run.
            try native.setInput(name: info.name, tensor: engineTensor, share: true)
            staged.append(engineTensor)
        }
        lastInputs = staged
        try native.run(shapes: staged.map(\.shape))
    }

    private func selectOutputs(_ names: [String]?) throws(PaddleError) -> [String] {
        guard let names else { return outputs.map(\.name) }
        for name in names where !outputs.contains(where: { $0.name == name }) {
            throw PaddleError(.unknownName, "the model has no output \(name) (outputs: \(outputNamesText))")
        }
        return names
    }

    private var outputNamesText: String { outputs.map(\.name).joined(separator: ", ") }
}
