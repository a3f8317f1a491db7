import Foundation

/// Everything needed to build a ``Predictor``: the model, and how the engine should run it.
///
/// A value type: change it freely, copy it, share it across tasks. Each predictor built from it gets its own
/// engine config.
///
/// ```swift
/// var config = try Config(model: "models/ch_PP-OCRv4_rec_infer")   // directory, format detected
/// config.cpuThreads = 2
/// let predictor = try Predictor(config: config)
/// ```
public struct Config: Sendable {
    /// Where the model comes from.
    public var source: ModelSource
    /// Threads the engine's CPU math library uses per predictor (>= 1).
    public var cpuThreads: Int = 1
    /// oneDNN (MKLDNN) acceleration. `nil` picks the safe default: off for PIR `.json` models (Paddle 3.3.1
    /// fails to run many of them with oneDNN on), on otherwise.
    public var oneDNN: Bool? = nil
    /// How many sets of input shapes oneDNN keeps kernels for, process-wide: `nil` for the engine's default
    /// (10), 0 for no bound.
    ///
    /// With a bound, memory stays flat however many shapes arrive (the oldest are dropped), but Paddle 3.3.1
    /// walks that cache without a lock after every run, so runs that may add shapes run alone (docs/engine.md,
    /// "The oneDNN shape-cache race"): predictors run in parallel as long as the process sees at most this many distinct
    /// input shapes. With 0 nothing is ever dropped (memory grows with every new shape) and runs always overlap.
    /// Models with a fixed set of shapes (for example batch sizes 1...32) run best with a bound above that
    /// set's size, or 0.
    public var oneDNNCacheCapacity: Int? = nil
    /// The engine's graph (IR) optimisation passes.
    public var irOptim: Bool = true
    /// The engine's memory-reuse optimisation (intermediate buffers are reused within a run). `nil` picks the
    /// default: on for ProgramDesc models (it halves a warm PP-OCRv4 rec predictor's memory, with identical
    /// outputs), off for PIR `.json` models, which Paddle 3.3.1 cannot load with it ("Not find predictor_id ...
    /// memory_optimize_pass"); asking for it on a PIR model fails with ``PaddleError/Code/unsupported``.
    public var memoryOptim: Bool? = nil
    /// The engine's informational logging (glog INFO lines). Off by default.
    public var engineLogging: Bool = false
    /// IR passes to remove (for example `conv_transpose_eltwiseadd_bn_fuse_pass`).
    public var deletedPasses: [String] = []
    /// The device to run on.
    public var device: Device = .cpu
    /// A folder of optimized programs shared by loads, processes and replicas: `nil` (the default) for none.
    ///
    /// The first load of a model saves the engine's optimized program (the result of its IR passes) in an entry of
    /// this folder; later loads of the same model files with the same options read that entry with the IR passes
    /// off. This makes loads of ProgramDesc models with oneDNN about 3x faster up to their first answer (PP-OCRv4 rec;
    /// a tiny MLP too, or about 8x with ``memoryOptim`` off); PIR `.json` models on the CPU path gain little (see
    /// `docs/model-loading.md`). Outputs are identical to a normal load.
    ///
    /// An entry is keyed by the SHA-256 of the model files, the engine's version, this CPU's oneDNN instruction set
    /// and the options that change the program (``oneDNN``, ``memoryOptim``, ``deletedPasses``, ``device``). Each
    /// entry records the SHA-256 of its own files: a corrupt or incomplete entry is never used; the model loads
    /// normally and the entry is replaced. Entries are written in a temporary folder and renamed into place, so
    /// processes and threads that load the same model at once never see a half-written entry.
    /// ``Predictor/optimizationCacheOutcome`` tells what happened.
    ///
    /// Not used for models in memory or with ``irOptim`` off (there is nothing to save). With ``memoryOptim`` on, a
    /// cached program still gets the engine's memory-reuse plan, so it uses as much memory as a normal load; with it
    /// off, a hit takes the engine's fastest path (`UseOptimizedModel`).
    ///
    /// ```swift
    /// var config = try Config(model: "models/ch_PP-OCRv4_rec_infer")
    /// config.optimizationCache = URL(fileURLWithPath: "/var/cache/paddle-swift")
    /// let predictor = try Predictor(config: config)    // .stored the first time, .hit afterwards
    /// ```
    public var optimizationCache: URL? = nil
    /// Expected SHA-256 digests (lower-case hex) of model files, keyed by file name (e.g. `inference.pdiparams`).
    /// When not empty, every listed file is checked before the model is loaded.
    public var expectedSHA256: [String: String] = [:]

    /// Where a predictor runs.
    public enum Device: Sendable, Equatable {
        /// The CPU.
        case cpu
        /// A CUDA GPU. The runtime installed by `scripts/setup.sh` is CPU-only, so predictor creation fails with
        /// ``PaddleError/Code/unsupported``.
        case gpu(id: Int = 0, memoryPoolMB: Int = 512)
    }

    /// A config for `source`.
    public init(source: ModelSource) {
        self.source = source
    }

    /// A config for the model at `path`: a model directory (layout detected) or a program file whose params file
    /// sits beside it with the same stem; `params` names the params file explicitly.
    ///
    /// - Throws: ``PaddleError/Code/modelFile`` when no model is found there.
    public init(model path: String, params: String? = nil) throws(PaddleError) {
        self.init(source: try ModelSource.detect(path: path, params: params))
    }

    /// A config for a legacy ProgramDesc model held in memory.
    ///
    /// - Throws: ``PaddleError/Code/unsupported`` for a PIR JSON program: Paddle 3.3.1 crashes when loading one
    ///   from memory, so this library refuses it; load PIR models from files.
    public init(program: [UInt8], params: [UInt8]) throws(PaddleError) {
        guard !program.isEmpty, !params.isEmpty else {
            throw PaddleError(.modelFile, "empty model buffer (program \(program.count) bytes, params \(params.count) bytes)")
        }
        if let first = program.first(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }), first == UInt8(ascii: "{") {
            throw PaddleError(
                .unsupported,
                "PIR JSON programs cannot be loaded from memory with Paddle Inference 3.3.1 (the engine crashes); "
                    + "load the .json and .pdiparams files instead")
        }
        self.init(source: .memory(program: program, params: params))
    }

    /// The model's storage format.
    public var format: ModelFormat { source.format }

    /// Whether oneDNN will be on: ``oneDNN`` if set, otherwise off for PIR `.json` models and on for others.
    public var resolvedOneDNN: Bool { oneDNN ?? (format != .pirJSON) }

    /// Whether memory optimisation will be on: ``memoryOptim`` if set, otherwise on except for PIR `.json` models.
    public var resolvedMemoryOptim: Bool { memoryOptim ?? (format != .pirJSON) }

    /// Builds the engine config. Loads the runtime if needed.
    func makeNative() throws(PaddleError) -> Native.Config {
        try PaddleRuntime.load()
        guard cpuThreads >= 1 else {
            throw PaddleError(.invalidArgument, "cpuThreads must be at least 1, \(cpuThreads) given")
        }
        let native = try Native.Config()
        switch source {
        case .files(let program, let params):
            try native.setModel(program: program, params: params)
        case .directory(let dir):
            try native.setModelDirectory(dir)
        case .memory(let program, let params):
            try PaddleError.typed {
                try program.withUnsafeBytes { p in
                    try params.withUnsafeBytes { q in try native.setModelBuffers(program: p, params: q) }
                }
            }
        }
        if case .gpu(let id, let pool) = device {
            try native.enableGPU(memoryPoolMB: UInt64(max(pool, 1)), deviceID: id)
        }
        try native.setCPUThreads(cpuThreads)
        try native.setOneDNN(resolvedOneDNN)
        if let oneDNNCacheCapacity, oneDNNCacheCapacity < 0 {
            throw PaddleError(.invalidArgument, "the oneDNN cache capacity must be 0 or more, \(oneDNNCacheCapacity) given")
        }
        if resolvedOneDNN, let oneDNNCacheCapacity { try native.setOneDNNCacheCapacity(oneDNNCacheCapacity) }
        try native.setIROptim(irOptim)
        if resolvedMemoryOptim && format == .pirJSON {
            throw PaddleError(
                .unsupported,
                "memory optimisation cannot be used with PIR .json models in Paddle Inference 3.3.1 (the engine "
                    + "fails to load them); leave Config.memoryOptim unset or false")
        }
        try native.setMemoryOptim(resolvedMemoryOptim)
        if !engineLogging { try native.disableGlogInfo() }
        for pass in deletedPasses { try native.deletePass(pass) }
        return native
    }

    /// The engine's own summary table for this config.
    public func summary() throws(PaddleError) -> String {
        try makeNative().summary()
    }
}

extension Config {
    /// The engine's oneDNN cache capacity when ``oneDNNCacheCapacity`` is `nil` (Paddle 3.3.1).
    static let engineDefaultOneDNNCacheCapacity = 10

    /// How predictors made from this config use oneDNN's process-wide cache.
    var oneDNNCacheMode: Native.OneDNNCache {
        guard resolvedOneDNN else { return .none }
        let capacity = oneDNNCacheCapacity ?? Self.engineDefaultOneDNNCacheCapacity
        return capacity == 0 ? .unbounded : .clearing(capacity: capacity)
    }
}
