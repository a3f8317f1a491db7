import Foundation

extension Predictor {
    /// Creates the engine predictor for `config`, through ``Config/optimizationCache`` when it names one.
    ///
    /// With a cache: a valid entry is loaded with the IR passes off (`.hit`); otherwise the model loads normally
    /// while the engine saves its optimized program into a staging folder, which then becomes the entry
    /// (`.stored`, or `.replaced` when a bad entry was there). Trouble with the cache never fails a load that
    /// would succeed without it.
    static func load(_ config: Config) throws(PaddleError) -> (Native.Predictor, OptimizationCacheOutcome?) {
        guard let root = config.optimizationCache else { return (try create(config), nil) }
        if let reason = OptimizedProgramCache.notApplicableReason(config) {
            return (try create(config), .notApplicable(reason: reason))
        }
        try PaddleRuntime.load()  // the key names the engine version and oneDNN's instruction set
        let cache = try OptimizedProgramCache(root: root, config: config)
        let existed = cache.entryExists
        var unloadable = false
        if existed, let files = cache.validEntry() {
            // The entry's files become the model: Paddle 3.3.1 would otherwise read a model directory's original
            // program (with the optimized weights) even with UseOptimizedModel. The options stay as resolved for
            // the original model.
            var fromCache = config
            fromCache.oneDNN = config.resolvedOneDNN
            fromCache.memoryOptim = config.resolvedMemoryOptim
            fromCache.source = .files(program: files.program, params: files.params)
            fromCache.expectedSHA256 = [:]  // the model's own files were checked; the entry's by its manifest
            // With memory optimisation on, the optimized program loads as a plain model with the IR passes off, so
            // that the engine still runs memory_optimize_pass: UseOptimizedModel skips that pass's buffer-reuse
            // plan (PP-OCRv4 rec then used 92 MiB more after 3 runs). Otherwise UseOptimizedModel, the
            // engine's fastest path (it skips building the graph at all).
            let cached: Native.Predictor?
            do throws(PaddleError) {
                // The binding's own program check first: Paddle 3.3.1 crashes on some malformed programs.
                try fromCache.validateFiles()
                cached = try create(fromCache) { engine throws(PaddleError) in
                    try engine.setIROptim(false)
                    if !config.resolvedMemoryOptim {
                        try engine.setOptimizedProgram(folder: cache.entry.path, save: false, use: true)
                    }
                }
            } catch {
                cached = nil
            }
            if let cached { return (cached, .hit) }
            // A verified entry the engine cannot load (another engine build?): load normally and replace it.
            unloadable = true
        }
        let staging: URL
        do throws(PaddleError) {
            staging = try cache.makeStaging()
        } catch {
            return (try create(config), .notStored(reason: error.message))
        }
        let predictor: Native.Predictor
        do throws(PaddleError) {
            predictor = try create(config) { engine throws(PaddleError) in
                try engine.setOptimizedProgram(folder: staging.path, save: true, use: false)
            }
        } catch {
            cache.discard(staging)
            // The save may be what failed: a load without it decides whether the model itself is at fault.
            let plain = try create(config)
            return (plain, .notStored(reason: error.description))
        }
        do throws(PaddleError) {
            try cache.commit(staging: staging, replacingValid: unloadable)
        } catch {
            cache.discard(staging)
            return (predictor, .notStored(reason: error.message))
        }
        return (predictor, existed ? .replaced : .stored)
    }

    /// One engine predictor from `config`, with `adjust` applied to the engine config last.
    private static func create(
        _ config: Config, adjust: (Native.Config) throws(PaddleError) -> Void = { _ in }
    ) throws(PaddleError) -> Native.Predictor {
        let engineConfig = try config.makeNative()
        try adjust(engineConfig)
        do throws(PaddleError) {
            return try Native.Predictor(
                config: engineConfig, usesSharedState: config.format == .pirJSON || config.resolvedOneDNN,
                oneDNNCache: config.oneDNNCacheMode)
        } catch {
            guard error.code == .engineFailure || error.code == .modelFile else { throw error }
            throw PaddleError(
                .modelFile, "cannot load the model \(describe(config.source))", engineMessage: error.engineMessage)
        }
    }
}
