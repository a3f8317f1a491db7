/// A fixed set of predictors for one model, each on its own thread, shared safely by any number of tasks.
///
/// The pool is `Sendable`; the ``Predictor``s inside it are not and never leave their threads. The pool
/// creates one predictor from `config` and `size - 1` clones of it, and starts one dedicated OS thread per
/// predictor. Engine work runs only on those threads, never on Swift's cooperative thread pool: a caller
/// suspends until a predictor is free and its run is done.
///
/// ```swift
/// let pool = try PredictorPool(config: Config(model: ".paddle/models/ppocrv4/ch_PP-OCRv4_rec_infer"),
///                              options: .init(size: 4, queueCapacity: 64, defaultTimeout: .seconds(5)))
/// let outputs = try await pool.run(["x": input])            // from any task
/// await pool.shutdown()
/// ```
///
/// **Back-pressure.** Calls that find every predictor busy wait in a FIFO queue of at most
/// ``Options/queueCapacity`` calls. When the queue is full a call fails at once with
/// ``PaddleError/Code/overloaded``, so memory stays bounded however many callers arrive.
///
/// **Deadlines.** A call's deadline (its `deadline` argument, or now + ``Options/defaultTimeout``) bounds the
/// time it waits for a predictor: if it passes first, the call fails with ``PaddleError/Code/timedOut`` and
/// never runs. Once a run has started on the engine it cannot be interrupted; it completes and returns its result.
///
/// **Cancellation.** Cancelling the calling task while the call waits removes it from the queue; it fails with
/// ``PaddleError/Code/cancelled`` and never runs. A call already running completes and returns its result.
///
/// **Shutdown.** ``shutdown()`` refuses new calls (``PaddleError/Code/shutdown``), lets running and queued
/// calls finish, then releases the predictors. Dropping the last reference to a pool does the same without
/// waiting.
///
/// **Memory.** Clones share the model's weights for ProgramDesc (`.pdmodel`) models. Paddle Inference 3.3.1
/// reloads all weights for every clone of a PIR (`.json`) model, so a pool of `n` PIR predictors holds `n`
/// copies of the weights (measured in `docs/benchmarks.md`).
///
/// **Threads.** Each predictor uses ``Config/cpuThreads`` math threads, so a pool keeps up to
/// `size * cpuThreads` cores busy. ``init(config:options:)`` loads the model synchronously; call it before
/// serving, not from a latency-sensitive task.
public final class PredictorPool: Sendable {
    /// How a pool is sized and how it treats waiting calls.
    public struct Options: Sendable {
        /// Predictors (and threads) in the pool; at least 1.
        public var size: Int = 1
        /// The most calls that may wait for a predictor; a call beyond that fails with `.overloaded`. At least 0.
        public var queueCapacity: Int = 64
        /// The deadline given to calls that pass none, counted from the call; `nil` for no deadline.
        public var defaultTimeout: Duration? = nil
        /// When `true`, every predictor loads the model itself instead of being cloned from the first, so nothing
        /// is shared between them (used by the benchmarks to measure what cloning saves). Default `false`.
        public var independentPredictors: Bool = false

        /// Options with these values and shared (cloned) predictors.
        public init(size: Int = 1, queueCapacity: Int = 64, defaultTimeout: Duration? = nil) {
            self.size = size
            self.queueCapacity = queueCapacity
            self.defaultTimeout = defaultTimeout
        }
    }

    /// The config every predictor of the pool was built from.
    public let config: Config
    /// The model's inputs, in the engine's order.
    public let inputs: [TensorInfo]
    /// The model's outputs, in the engine's order.
    public let outputs: [TensorInfo]
    /// The options the pool was made with.
    public let options: Options
    /// What loading the pool's first predictor did with ``Config/optimizationCache`` (`nil` without a cache): one
    /// outcome per pool, since the other predictors are clones of the first (or, with
    /// ``Options/independentPredictors``, later loads that hit the entry the first one stored).
    public let optimizationCacheOutcome: OptimizationCacheOutcome?
    let core: PoolCore

    /// Loads the model once, clones it `options.size - 1` times and starts one thread per predictor.
    ///
    /// - Throws: ``PaddleError/Code/invalidArgument`` for a size below 1 or a negative queue capacity or
    ///   timeout; otherwise what ``Predictor/init(config:onStateChange:)`` and ``Predictor/clone()`` throw.
    public convenience init(config: Config, options: Options = Options()) throws(PaddleError) {
        try Self.check(options)
        let first = try Predictor(config: config)
        try self.init(options: options, model: first) { index throws(PaddleError) in
            if index == 0 { return first }
            return options.independentPredictors ? try Predictor(config: config) : try first.clone()
        }
    }

    /// A pool of `options.size` clones of `template`, which the caller keeps (and may clone again for other pools).
    ///
    /// For ProgramDesc (`.pdmodel`) models every clone shares the template's weights, so pools made this way from
    /// one template (for example two versions or models whose files are byte-identical) hold the weights once.
    /// ``Options/independentPredictors`` does not apply. The template may be used on one thread only, like any
    /// ``Predictor``; cloning it is safe from that thread.
    ///
    /// Every predictor of the pool is a new engine clone: the pool never takes over a clone that an earlier pool of
    /// the same template released. With oneDNN on, Paddle 3.3.1 fails runs of such a reused clone ("could not
    /// execute a primitive") once another model's runs have made oneDNN's process-wide cache evict shapes
    /// (`bench/soak/shared_weights_stress.py`; docs/engine.md, "Clones"). Released clones cannot be destroyed
    /// either (that breaks the template's other clones), so they are kept until the template and all its clones
    /// are gone: memory grows with every pool made from one template. Bound the pools made from a template, then
    /// load a new one (`RepositoryOptions.sharesWeights` starts a new template after 16 clones).
    ///
    /// - Throws: ``PaddleError/Code/invalidArgument`` for a size below 1 or a negative queue capacity or timeout;
    ///   otherwise what ``Predictor/clone()`` throws.
    public convenience init(template: Predictor, options: Options = Options()) throws(PaddleError) {
        try Self.check(options)
        try self.init(options: options, model: template) { _ throws(PaddleError) in
            try template.clone(reusingReleased: false)
        }
    }

    /// The pool's one set-up: makes predictor `0..<options.size` with `make` (destroying those made if one fails),
    /// takes the config, inputs, outputs and cache outcome from `model`, and starts one thread per predictor.
    /// `options` are already checked.
    private init(
        options: Options, model: Predictor, make: (Int) throws(PaddleError) -> Predictor
    ) throws(PaddleError) {
        var predictors: [Predictor] = []
        do throws(PaddleError) {
            for index in 0..<options.size { predictors.append(try make(index)) }
        } catch {
            for predictor in predictors.reversed() { predictor.destroy() }
            throw error
        }
        self.config = model.config
        self.inputs = model.inputs
        self.outputs = model.outputs
        self.options = options
        self.optimizationCacheOutcome = model.optimizationCacheOutcome
        core = PoolCore(size: options.size, capacity: options.queueCapacity)
        let handoffs = predictors.map(PredictorHandoff.init)
        predictors.removeAll()
        for (index, handoff) in handoffs.enumerated() {
            core.startWorker(index: index, handoff: handoff, label: "paddle-pool")
        }
    }

    /// Refuses a size below 1, a negative queue capacity and a timeout that is not positive.
    private static func check(_ options: Options) throws(PaddleError) {
        guard options.size >= 1 else {
            throw PaddleError(.invalidArgument, "a predictor pool needs a size of at least 1, \(options.size) given")
        }
        guard options.queueCapacity >= 0 else {
            throw PaddleError(
                .invalidArgument, "the queue capacity must be at least 0, \(options.queueCapacity) given")
        }
        if let timeout = options.defaultTimeout, timeout <= .zero {
            throw PaddleError(.invalidArgument, "the default timeout must be positive, \(timeout) given")
        }
    }

    /// A pool of `size` predictors with the default queue and no default timeout.
    public convenience init(config: Config, size: Int) throws(PaddleError) {
        try self.init(config: config, options: Options(size: size))
    }

    deinit {
        core.close()
    }

    /// Predictors (and threads) in the pool.
    public var size: Int { core.size }

    /// Current load and counters.
    public var statistics: PoolStatistics { core.statistics }

    /// Whether ``shutdown()`` has been called (the pool takes no new work).
    public var isShutDown: Bool { core.isClosing }

    /// Runs the model on a free predictor and returns copies of the requested outputs (all by default).
    ///
    /// Inputs are checked against ``inputs`` before the call waits, so a malformed request fails at once.
    ///
    /// - Parameters:
    ///   - inputs: One tensor per model input, by name.
    ///   - outputs: The outputs to return; `nil` for all.
    ///   - deadline: The latest time the run may start; `nil` for now + ``Options/defaultTimeout`` (if any).
    /// - Throws: `.overloaded` (queue full), `.timedOut`, `.cancelled`, `.shutdown`, or what
    ///   ``Predictor/run(_:outputs:transfer:)`` throws (`.unknownName`, `.invalidArgument`, `.dtypeMismatch`,
    ///   `.shapeMismatch`, `.engineFailure`).
    public func run(
        _ inputs: [String: Tensor], outputs: [String]? = nil, deadline: ContinuousClock.Instant? = nil
    ) async throws(PaddleError) -> [String: Tensor] {
        try check(inputs: inputs, outputs: outputs)
        do {
            return try await withPredictor(deadline: deadline) { predictor in
                try predictor.run(inputs, outputs: outputs)
            }
        } catch let error as PaddleError {
            throw error
        } catch {
            throw PaddleError(.engineFailure, "unexpected error: \(error)")
        }
    }

    /// Calls `body` with exclusive use of one predictor, on that predictor's pool thread.
    ///
    /// Use it for several runs that must share one predictor, or for zero-copy reading of outputs with
    /// ``Predictor/run(_:transfer:withOutputs:)``. `body` blocks a pool thread, not the caller; it must not
    /// keep the predictor (it cannot: a `Predictor` is not `Sendable`) and must not call
    /// ``Predictor/destroy()`` (if it does, the pool loads the model again for that thread).
    ///
    /// - Parameters:
    ///   - deadline: The latest time `body` may start; `nil` for now + ``Options/defaultTimeout`` (if any).
    ///   - body: The work; what it returns or throws is returned or thrown here.
    /// - Throws: ``PaddleError`` `.overloaded`, `.timedOut`, `.cancelled`, `.shutdown`, or what `body` throws.
    public func withPredictor<R: Sendable>(
        deadline: ContinuousClock.Instant? = nil, _ body: @escaping @Sendable (Predictor) throws -> R
    ) async throws -> R {
        let deadline = deadline ?? options.defaultTimeout.map { ContinuousClock.now + $0 }
        let call = PoolCall(body: body)
        let job = PoolJob(deadline: deadline, work: call, requestStart: Self.requestStart)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<R, any Error>) in
                call.continuation = continuation
                if let error = core.submit(job) { job.fail(error) }
            }
        } onCancel: {
            core.cancel(job)
        }
    }

    /// Schedules `body` to run with exclusive use of one predictor, on that predictor's pool thread, and returns at
    /// once; nobody waits for it.
    ///
    /// For callers that deliver results themselves (for example a batcher resuming many requests from one run)
    /// and must not pay for a task per job. `body` follows the rules of ``withPredictor(deadline:_:)``. Exactly one
    /// of `body` and `onFailure` is called: `onFailure` (on the calling thread or a pool thread) when the job is
    /// refused (`.overloaded`, `.shutdown`) or its deadline passes before it starts (`.timedOut`).
    ///
    /// - Parameters:
    ///   - deadline: The latest time `body` may start; `nil` for now + ``Options/defaultTimeout`` (if any).
    ///   - body: The work, run on a pool thread.
    ///   - onFailure: Called instead of `body` when the job does not run.
    public func enqueue(
        deadline: ContinuousClock.Instant? = nil, _ body: @escaping @Sendable (Predictor) -> Void,
        onFailure: @escaping @Sendable (PaddleError) -> Void
    ) {
        let deadline = deadline ?? options.defaultTimeout.map { ContinuousClock.now + $0 }
        let job = PoolJob(
            deadline: deadline, work: PoolCallback(body: body, onFailure: onFailure), requestStart: Self.requestStart)
        if let error = core.submit(job) { job.fail(error) }
    }

    /// Refuses new calls (they fail with ``PaddleError/Code/shutdown``), waits for running and queued calls to
    /// finish, then releases every predictor and its thread. Safe to call more than once and from several tasks.
    public func shutdown() async {
        await core.shutdown()
    }

    private func check(inputs given: [String: Tensor], outputs names: [String]?) throws(PaddleError) {
        for name in given.keys where !inputs.contains(where: { $0.name == name }) {
            throw PaddleError(
                .unknownName, "the model has no input \(name) (inputs: \(inputs.map(\.name).joined(separator: ", ")))")
        }
        for info in inputs {
            guard let tensor = given[info.name] else {
                throw PaddleError(.invalidArgument, "input \(info.name) is missing")
            }
            try info.validate(tensor)
        }
        for name in names ?? [] where !outputs.contains(where: { $0.name == name }) {
            throw PaddleError(
                .unknownName,
                "the model has no output \(name) (outputs: \(outputs.map(\.name).joined(separator: ", ")))")
        }
    }

    // MARK: Request order

    /// When the request that the current task serves started, if a caller set it with
    /// ``inRequestOrder(startedAt:_:)``.
    @TaskLocal package static var requestStart: ContinuousClock.Instant?

    /// Runs `body` as one request that started at `start`: calls to any pool made by `body` (and by its child
    /// tasks) queue as if they had arrived at that instant.
    ///
    /// Under load, the later calls of a request that makes several (an OCR request runs detection, then a few line
    /// batches) then go ahead of calls from requests that started after it, so requests finish in about the order
    /// they started, rather than sharing the pool turn by turn (which makes the requests with the most calls the
    /// slowest by far). Calls made outside it queue by the time they arrive, first in, first out. When an enclosing
    /// caller already runs inside this function, its start counts and `start` is ignored.
    ///
    /// - Parameters:
    ///   - start: When the request started; now unless the caller knows better (say, when its bytes arrived).
    ///   - body: The request's work.
    /// - Throws: What `body` throws.
    public static func inRequestOrder<R, E: Error>(
        startedAt start: ContinuousClock.Instant = .now, _ body: () async throws(E) -> R
    ) async throws(E) -> R {
        if requestStart != nil { return try await body() }
        do {
            return try await $requestStart.withValue(start) { try await body() }
        } catch {
            throw error as! E  // only `body` throws, and it throws E
        }
    }
}
