import CPaddle
import Foundation
import Synchronization

// The one file that calls the C shim. Every call goes through `Native.check`, so raw status codes and C strings
// never leave this file; the rest of the library sees `PaddleError`s and Swift types.

enum Native {
    /// Runs a shim call that reports failure as a status plus an owned message, and throws it as a PaddleError.
    static func check(
        _ context: @autoclosure () -> String,
        _ body: (UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> pds_status
    ) throws(PaddleError) {
        var message: UnsafeMutablePointer<CChar>? = nil
        let status = body(&message)
        guard status != PDS_OK else { return }
        let text = message.map { String(cString: $0) } ?? "no message"
        pds_string_free(message)
        throw PaddleError(code(for: status), context(), engineMessage: text)
    }

    private static func code(for status: pds_status) -> PaddleError.Code {
        switch status {
        case pds_status(PDS_ERR_RUNTIME), pds_status(PDS_ERR_NOT_LOADED): .runtimeLoad
        case pds_status(PDS_ERR_INVALID_ARGUMENT): .invalidArgument
        case pds_status(PDS_ERR_UNSUPPORTED): .unsupported
        case pds_status(PDS_ERR_MODEL): .modelFile
        default: .engineFailure
        }
    }

    // MARK: Runtime

    static func loadRuntime(directory: String) throws(PaddleError) {
        try check("cannot load the Paddle Inference runtime from \(directory)") { pds_runtime_load(directory, $0) }
    }

    static func checkRuntime(directory: String) throws(PaddleError) {
        try check("the Paddle Inference runtime in \(directory) is not usable") { pds_runtime_check(directory, $0) }
    }

    static var isRuntimeLoaded: Bool { pds_runtime_is_loaded() }

    static var runtimeVersion: String? { pds_runtime_version().map { String(cString: $0) } }

    // MARK: Config

    /// Owns an engine config (`pds_config`). Not thread-safe; used only while building predictors.
    final class Config {
        let raw: OpaquePointer

        init() throws(PaddleError) {
            var out: OpaquePointer? = nil
            try check("cannot create an engine config") { pds_config_create(&out, $0) }
            guard let out else { throw PaddleError(.engineFailure, "the engine returned no config") }
            raw = out
        }

        deinit { pds_config_destroy(raw) }

        func setModel(program: String, params: String) throws(PaddleError) {
            try check("cannot set the model files") { pds_config_set_model(raw, program, params, $0) }
        }

        func setModelDirectory(_ path: String) throws(PaddleError) {
            try check("cannot set the model directory") { pds_config_set_model_dir(raw, path, $0) }
        }

        func setModelBuffers(program: UnsafeRawBufferPointer, params: UnsafeRawBufferPointer) throws(PaddleError) {
            guard let p = program.baseAddress, let q = params.baseAddress else {
                throw PaddleError(.modelFile, "empty model buffer")
            }
            try check("cannot set the model buffers") {
                pds_config_set_model_buffer(raw, p, program.count, q, params.count, $0)
            }
        }

        func setCPUThreads(_ n: Int) throws(PaddleError) {
            try check("cannot set \(n) CPU threads") { pds_config_set_cpu_threads(raw, Int32(clamping: n), $0) }
        }

        func setOneDNN(_ on: Bool) throws(PaddleError) {
            try check("cannot switch oneDNN") { pds_config_set_onednn(raw, on, $0) }
        }

        func setOneDNNCacheCapacity(_ capacity: Int) throws(PaddleError) {
            try check("cannot set the oneDNN cache capacity") {
                pds_config_set_onednn_cache_capacity(raw, Int32(clamping: capacity), $0)
            }
        }

        func setIROptim(_ on: Bool) throws(PaddleError) {
            try check("cannot switch IR optimisation") { pds_config_set_ir_optim(raw, on, $0) }
        }

        func setMemoryOptim(_ on: Bool) throws(PaddleError) {
            try check("cannot switch memory optimisation") { pds_config_set_memory_optim(raw, on, $0) }
        }

        func disableGlogInfo() throws(PaddleError) {
            try check("cannot quieten engine logging") { pds_config_disable_glog_info(raw, $0) }
        }

        func deletePass(_ name: String) throws(PaddleError) {
            try check("cannot delete pass \(name)") { pds_config_delete_pass(raw, name, $0) }
        }

        /// Points the engine at an optimized-program folder: `save` writes the program after the IR passes,
        /// `use` reads it instead of the model (the files must be there).
        func setOptimizedProgram(folder: String, save: Bool, use: Bool) throws(PaddleError) {
            try check("cannot set the optimized-program folder \(folder)") {
                pds_config_set_optimized_program(raw, folder, save, use, $0)
            }
        }

        func enableGPU(memoryPoolMB: UInt64, deviceID: Int) throws(PaddleError) {
            try check("cannot use GPU \(deviceID)") {
                pds_config_enable_gpu(raw, memoryPoolMB, Int32(clamping: deviceID), $0)
            }
        }

        func summary() throws(PaddleError) -> String {
            var out: UnsafeMutablePointer<CChar>? = nil
            try check("cannot summarise the config") { pds_config_summary(raw, &out, $0) }
            defer { pds_string_free(out) }
            return out.map { String(cString: $0) } ?? ""
        }
    }

    // MARK: Predictor

    /// Serialises predictor creation and cloning across the process: Paddle 3.3.1 registers PIR types in
    /// process-wide tables while it loads a program, and two threads loading PIR programs at once fail with
    /// "storage class already registered". Runs are not serialised (docs/engine.md, "Concurrent PIR loads").
    static let creationLock = NSLock()

    /// Guards engine state that is shared by all predictors of the process without a lock of its own: PIR's
    /// type tables (changed when a PIR program loads) and oneDNN's cache map (changed when a oneDNN predictor
    /// is created or destroyed or runs new input shapes, and walked by `OneDNNContext::GetCachedObjectsNumber`
    /// after every oneDNN run in cache-clearing mode; runs racing a destruction or another run's new shapes
    /// crashed there). Runs of such predictors share the lock, except oneDNN runs that may change the cache
    /// (see ``OneDNNShapeCache``); creation, cloning and destruction take it alone. Predictors with neither PIR
    /// nor oneDNN never touch it (docs/engine.md, "Shared engine state").
    static let sharedStateLock = ReadWriteLock()

    /// The model of oneDNN's shape cache that decides which oneDNN runs may overlap.
    static let oneDNNShapes = OneDNNShapeCache()

    /// The engine predictors of one clone family (an original and every clone made from it or from its clones) that
    /// are no longer used.
    ///
    /// Paddle 3.3.1 breaks a family when one of its clones is destroyed while the others live: with oneDNN on, the
    /// others' next runs (and new clones') fail with "The Filter tensor's layout should be ONEDNN, but got NCHW" or
    /// "could not reshape a memory descriptor", whether or not the destroyed clone had run. So a released clone is
    /// not destroyed: its engine predictor waits here, the next ``Predictor/clone()`` of the family takes it
    /// instead of cloning again (memory stays bounded by the most clones alive at once), and the original destroys
    /// all of them, then itself, once every clone is gone (each clone keeps its parent alive). docs/engine.md,
    /// "Clones".
    final class Family: Sendable {
        private let spares = Mutex<[UInt]>([])

        func retire(_ raw: OpaquePointer) {
            spares.withLock { $0.append(UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(raw)))) }
        }

        func reuse() -> OpaquePointer? {
            spares.withLock { $0.popLast() }.flatMap { OpaquePointer(bitPattern: $0) }
        }

        func takeAll() -> [OpaquePointer] {
            spares.withLock { spares in
                defer { spares.removeAll() }
                return spares.compactMap { OpaquePointer(bitPattern: $0) }
            }
        }
    }

    /// How a predictor uses oneDNN's process-wide cache.
    enum OneDNNCache: Sendable {
        /// oneDNN off.
        case none
        /// Cache clearing mode with this capacity (input shape sets): runs that may add shapes go alone.
        case clearing(capacity: Int)
        /// Unbounded (capacity 0): the engine never walks the cache without its lock, so runs overlap.
        case unbounded
    }

    private static let nextPredictorID = Mutex<UInt64>(0)

    /// Owns an engine predictor (`pds_predictor`). Not thread-safe: one caller at a time.
    final class Predictor {
        let raw: OpaquePointer
        /// Whether this predictor's creation, runs and destruction go through ``sharedStateLock``.
        let usesSharedState: Bool
        /// How runs use oneDNN's cache.
        let oneDNNCache: OneDNNCache
        /// Unique in the process (for ``OneDNNShapeCache``).
        let id: UInt64 = Native.nextPredictorID.withLock { $0 += 1; return $0 }

        init(config: Native.Config, usesSharedState: Bool, oneDNNCache: OneDNNCache) throws(PaddleError) {
            var out: OpaquePointer? = nil
            creationLock.lock()
            defer { creationLock.unlock() }
            if usesSharedState { sharedStateLock.lockExclusive() }
            defer { if usesSharedState { sharedStateLock.unlock() } }
            try check("cannot create a predictor") { pds_predictor_create(config.raw, &out, $0) }
            guard let out else { throw PaddleError(.engineFailure, "the engine returned no predictor") }
            raw = out
            self.usesSharedState = usesSharedState
            self.oneDNNCache = oneDNNCache
            parent = nil
            family = Family()
        }

        /// The predictor this one was cloned from, kept alive for as long as the clone: clones of ProgramDesc
        /// models share their parent's scope and engine caches, and running a clone after its parent was
        /// destroyed fails inside oneDNN.
        private let parent: Predictor?
        /// The engine predictors of this predictor's clone family that are no longer used (see ``Family``).
        private let family: Family

        private init(raw: OpaquePointer, parent: Predictor) {
            self.raw = raw
            self.usesSharedState = parent.usesSharedState
            self.oneDNNCache = parent.oneDNNCache
            self.parent = parent
            family = parent.family
        }

        deinit {
            if case .clearing = oneDNNCache { Native.oneDNNShapes.forget(predictor: id) }
            if parent != nil {
                // A clone: its engine predictor waits in the family for the next clone() or the original's end.
                family.retire(raw)
                return
            }
            let retired = family.takeAll()
            if usesSharedState { Native.sharedStateLock.lockExclusive() }
            for clone in retired.reversed() { pds_predictor_destroy(clone) }
            pds_predictor_destroy(raw)
            if usesSharedState { Native.sharedStateLock.unlock() }
        }

        /// A clone: an engine predictor of the family that is no longer used, if there is one and `reusingReleased`,
        /// otherwise a new engine clone.
        ///
        /// Without reuse, released clones still wait in the family until the original ends (destroying one would
        /// break the others), so memory grows with every clone made: callers that clone without reuse bound how
        /// many clones they make from one original (``PredictorPool/init(template:options:)``'s callers do).
        func clone(reusingReleased: Bool = true) throws(PaddleError) -> Predictor {
            if reusingReleased, let spare = family.reuse() { return Predictor(raw: spare, parent: self) }
            var out: OpaquePointer? = nil
            creationLock.lock()
            defer { creationLock.unlock() }
            if usesSharedState { sharedStateLock.lockExclusive() }
            defer { if usesSharedState { sharedStateLock.unlock() } }
            try check("cannot clone the predictor") { pds_predictor_clone(raw, &out, $0) }
            guard let out else { throw PaddleError(.engineFailure, "the engine returned no clone") }
            return Predictor(raw: out, parent: self)
        }

        /// Names, shapes and (where the engine knows them) element types of the inputs or outputs.
        func ioInfo(outputs: Bool) throws(PaddleError) -> [(name: String, shape: [Int], dataType: DataType?)] {
            var infos: UnsafeMutablePointer<pds_io_info>? = nil
            var count = 0
            try check("cannot read the model's \(outputs ? "outputs" : "inputs")") {
                pds_predictor_io_info(raw, outputs, &infos, &count, $0)
            }
            defer { pds_io_info_free(infos, count) }
            guard let infos else { return [] }
            return (0..<count).map { i in
                let info = infos[i]
                let shape = (0..<info.rank).map { Int(info.shape![$0]) }
                return (String(cString: info.name), shape, DataType(engineValue: info.dtype))
            }
        }

        /// Sets an input: copied now, or (share) read in place until the next run returns.
        func setInput(name: String, tensor: Tensor, share: Bool) throws(PaddleError) {
            let shape = tensor.shape.map { Int32($0) }
            let base = tensor.storage.base
            try check("cannot set input \(name)") { error in
                shape.withUnsafeBufferPointer { dims in
                    pds_predictor_set_input(
                        raw, name, tensor.dataType.engineValue, dims.baseAddress ?? UnsafePointer(bitPattern: 4)!,
                        dims.count, base, share, error)
                }
            }
        }

        /// Runs the model on the inputs set. `shapes` are the inputs' shapes in the engine's input order.
        func run(shapes: [[Int]]) throws(PaddleError) {
            func runEngine() throws(PaddleError) {
                try check("the engine failed to run the model") { pds_predictor_run(raw, $0) }
            }
            guard usesSharedState else { return try runEngine() }
            guard case .clearing(let capacity) = oneDNNCache else {
                sharedStateLock.lockShared()
                defer { sharedStateLock.unlock() }
                return try runEngine()
            }
            // Decide under the shared lock: an exclusive run (the only kind that can evict shapes and so make
            // `mayShare` false) cannot start between the decision and this run.
            let key = OneDNNShapeCache.key(shapes)
            sharedStateLock.lockShared()
            if oneDNNShapes.mayShare(predictor: id, shapes: key) {
                defer { sharedStateLock.unlock() }
                return try runEngine()
            }
            sharedStateLock.unlock()
            sharedStateLock.lockExclusive()
            defer { sharedStateLock.unlock() }
            try runEngine()
            oneDNNShapes.recordExclusiveRun(predictor: id, shapes: key, capacity: capacity)
        }

        func outputShape(name: String) throws(PaddleError) -> (shape: [Int], dataType: DataType) {
            var dims = [Int64](repeating: 0, count: 16)
            var rank = dims.count
            var dtype: Int32 = 0
            try check("cannot read the shape of output \(name)") { error in
                dims.withUnsafeMutableBufferPointer {
                    pds_predictor_output_shape(raw, name, $0.baseAddress!, &rank, &dtype, error)
                }
            }
            guard let type = DataType(engineValue: dtype) else {
                throw PaddleError(.engineFailure, "output \(name) has an unknown element type \(dtype)")
            }
            return (dims.prefix(rank).map { Int($0) }, type)
        }

        /// Shape, type and the engine's own bytes of output `name` (valid until the next run), from one handle.
        func outputView(name: String) throws(PaddleError) -> (shape: [Int], dataType: DataType, bytes: UnsafeRawBufferPointer) {
            var dims = [Int64](repeating: 0, count: 16)
            var rank = dims.count
            var dtype: Int32 = 0
            var data: UnsafeRawPointer? = nil
            var count = 0
            try check("cannot read output \(name)") { error in
                dims.withUnsafeMutableBufferPointer {
                    pds_predictor_output_view(raw, name, $0.baseAddress!, &rank, &dtype, &data, &count, error)
                }
            }
            guard let type = DataType(engineValue: dtype) else {
                throw PaddleError(.engineFailure, "output \(name) has an unknown element type \(dtype)")
            }
            let bytes = UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : count * type.byteSize)
            return (dims.prefix(rank).map { Int($0) }, type, bytes)
        }

        func clearIntermediate() throws(PaddleError) {
            try check("cannot clear intermediate tensors") { pds_predictor_clear_intermediate(raw, $0) }
        }

        func tryShrinkMemory() throws(PaddleError) -> UInt64 {
            var released: UInt64 = 0
            try check("cannot shrink memory") { pds_predictor_try_shrink_memory(raw, &released, $0) }
            return released
        }
    }
}
