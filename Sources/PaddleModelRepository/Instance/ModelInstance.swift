import Foundation
import KServeProtocol
import Logging
import PaddleInference
import Synchronization

/// One loaded version of a model: its predictor pool, metadata, batching, rate limit and statistics.
///
/// Thread-safe; shared by every request for this version.
public final class ModelInstance: Sendable {
    /// The model name and version this instance serves.
    public let key: ModelKey
    /// The configuration in force: what the instance was built from, with in-place changes (limits) applied.
    public var configuration: ModelConfiguration { limits.withLock { $0.configuration } }
    /// Inputs as served (the engine's declarations with the configuration's overrides).
    public let inputs: [TensorInfo]
    /// Outputs as served.
    public let outputs: [TensorInfo]
    /// The predictors that run the requests.
    public let pool: PredictorPool
    /// Whether this version's predictors are clones of a family another loaded version or model made from
    /// byte-identical files, so its weights were not loaded again (see ``RepositoryOptions/sharesWeights``).
    public let sharesWeights: Bool
    /// The pool's place in a weight family, if any (left when the instance is released).
    let weightsFamily: SharedWeights.Membership?
    /// Request and execution counts and times (Triton's statistics extension).
    public let statistics = ModelStatistics()
    let metrics: ModelMetrics
    let batcher: DynamicBatcher?
    /// What can change without a reload (see ``applyInPlace(_:)``).
    private let limits: Mutex<Limits>

    private struct Limits {
        var configuration: ModelConfiguration
        var rateLimiter: TokenBucket?
    }

    /// What the load did with the server's optimized-program cache (``RepositoryOptions/optimizationCache``):
    /// `nil` without one.
    public var optimizationCacheOutcome: OptimizationCacheOutcome? { pool.optimizationCacheOutcome }

    /// Loads the model at `path` (blocking: call off the cooperative pool), through the optimized-program cache
    /// `optimizationCache` when there is one.
    ///
    /// With `sharedWeights`, a ProgramDesc model whose files and engine options match a loaded family's is made of
    /// clones of that family's predictor (its weights are not loaded again: ``sharesWeights``).
    init(
        key: ModelKey, path: String, configuration: ModelConfiguration, metrics: ServingMetrics,
        optimizationCache: URL? = nil, sharedWeights: SharedWeights? = nil
    ) throws(ServingError) {
        self.key = key
        let pool: PredictorPool
        var family: SharedWeights.Membership?
        var joined = false
        do {
            let config = try configuration.engineConfig(model: path, optimizationCache: optimizationCache)
            if let sharedWeights, let familyKey = SharedWeights.key(for: config) {
                (pool, joined, family) = try sharedWeights.pool(
                    key: familyKey, config: config, options: configuration.poolOptions)
            } else {
                pool = try PredictorPool(config: config, options: configuration.poolOptions)
            }
        } catch {
            throw ServingError(.badRequest, "cannot load model '\(key.name)' version \(key.version): \(error)")
        }
        self.pool = pool
        self.weightsFamily = family
        self.sharesWeights = joined
        do {
            self.inputs = try ModelConfiguration.apply(configuration.inputs, to: pool.inputs, kind: "input")
            self.outputs = try ModelConfiguration.apply(configuration.outputs, to: pool.outputs, kind: "output")
        } catch {
            // The pool goes with this instance (its deinit closes it); its family must not count it.
            if let family { sharedWeights?.leave(family) }
            throw error
        }
        let modelMetrics = metrics.model(name: key.name, version: key.version)
        self.metrics = modelMetrics
        modelMetrics.setPool(size: pool.size, busy: 0, queued: 0)
        let statistics = self.statistics
        if let batching = configuration.dynamicBatching, let maxBatch = configuration.maxBatchSize, maxBatch > 1 {
            batcher = DynamicBatcher(
                pool: pool, maxBatchSize: maxBatch, preferredBatchSizes: batching.preferredBatchSizes ?? [],
                maxQueueDelay: .microseconds(batching.maxQueueDelayUs ?? 1000)
            ) { size, infer in
                statistics.recordExecution(batchSize: size, infer: infer)
                modelMetrics.recordExecution(batchSize: size)
            }
        } else {
            batcher = nil
        }
        limits = Mutex(Limits(configuration: configuration, rateLimiter: Self.rateLimiter(configuration.rateLimit)))
    }

    private static func rateLimiter(_ limit: ModelConfiguration.RateLimit?) -> TokenBucket? {
        limit.map { TokenBucket(rate: $0.requestsPerSecond, capacity: $0.burst ?? max(Int($0.requestsPerSecond), 1)) }
    }

    /// Applies the settings of `new` that need no reload (`rate_limit`, `timeout_ms`, `warmup`); the next request
    /// uses them. The caller checks with ``ModelConfiguration/needsReload(for:)`` that nothing else changed.
    func applyInPlace(_ new: ModelConfiguration) {
        limits.withLock { limits in
            if limits.configuration.rateLimit != new.rateLimit { limits.rateLimiter = Self.rateLimiter(new.rateLimit) }
            limits.configuration.rateLimit = new.rateLimit
            limits.configuration.timeoutMs = new.timeoutMs
            limits.configuration.warmup = new.warmup
        }
    }

    /// Updates the pool gauges (called when metrics are scraped).
    package func refreshGauges() {
        let stats = pool.statistics
        metrics.setPool(size: stats.size, busy: stats.busy, queued: stats.queued)
    }

    /// Runs a decoded request and returns the response to encode.
    ///
    /// - Parameters:
    ///   - request: The decoded request.
    ///   - decodeTime: Time spent decoding the request (reported as `compute_input`).
    /// - Throws: `ServingError` (400 for inputs that do not fit, 429 rate limit, 503 overload or shutdown).
    public func infer(_ request: InferenceRequest, decodeTime: Duration = .zero) async throws(ServingError)
        -> InferenceResponse
    {
        let outcome = await withCheckedContinuation { (continuation: CheckedContinuation<Result<InferenceResponse, ServingError>, Never>) in
            infer(request, decodeTime: decodeTime) { continuation.resume(returning: $0) }
        }
        return try outcome.get()
    }

    /// Runs a decoded request and calls `completion` with the response to encode (or the error), on the pool
    /// thread that ran it or on the calling thread. No task is made: the HTTP server's event loop hands the request
    /// to a pool thread, which hands the result back.
    ///
    /// - Parameters:
    ///   - request: The decoded request.
    ///   - decodeTime: Time spent decoding the request (reported as `compute_input`).
    ///   - completion: Called once with the response or the error (on the pool thread, or on the calling thread
    ///     when the request fails before it runs).
    public func infer(
        _ request: InferenceRequest, decodeTime: Duration = .zero,
        completion: @escaping @Sendable (Result<InferenceResponse, ServingError>) -> Void
    ) {
        let start = ContinuousClock.now
        if let rateLimiter = limits.withLock({ $0.rateLimiter }), let wait = rateLimiter.acquire(now: start) {
            metrics.rateLimited.increment()
            completion(.failure(.rateLimited(model: key.name, retryAfter: Int(wait.components.seconds) + 1)))
            return
        }
        let prepared: Prepared
        do {
            prepared = try prepare(request, start: start, decodeTime: decodeTime)
        } catch {
            completion(.failure(failed(error, start: start, decodeTime: decodeTime)))
            return
        }
        if let batcher, let batch = DynamicBatcher.batchSize(of: prepared.tensors, limit: configuration.maxBatchSize ?? 1) {
            batcher.submit(prepared.tensors, batch: batch, deadline: prepared.deadline) { [self] outcome in
                switch outcome {
                case .success(let result):
                    completion(finish(prepared, results: result.outputs, queue: result.queue, infer: result.infer))
                case .failure(let error):
                    completion(.failure(failed(ServingError.from(error), start: start, decodeTime: decodeTime)))
                }
            }
            return
        }
        let names = prepared.requested.map(\.name)
        pool.enqueue(deadline: prepared.deadline) { [self] predictor in
            let began = ContinuousClock.now
            let results: [String: Tensor]
            do {
                results = try predictor.run(checked: prepared.tensors, outputs: names)
            } catch {
                completion(.failure(failed(ServingError.from(error), start: start, decodeTime: decodeTime)))
                return
            }
            let infer = ContinuousClock.now - began
            let batchSize = prepared.tensors.values.first?.shape.first ?? 1
            statistics.recordExecution(batchSize: batchSize, infer: infer)
            metrics.recordExecution(batchSize: batchSize)
            completion(finish(prepared, results: results, queue: began - start, infer: infer))
        } onFailure: { [self] error in
            completion(.failure(failed(ServingError.from(error), start: start, decodeTime: decodeTime)))
        }
    }

    /// A checked request, ready to run.
    private struct Prepared: Sendable {
        let request: InferenceRequest
        let tensors: [String: Tensor]
        let requested: [InferenceRequest.RequestedOutput]
        let deadline: ContinuousClock.Instant?
        let start: ContinuousClock.Instant
        let decodeTime: Duration
        /// The inferences the request asks for: its batch dimension on a model that batches, else 1.
        let batchSize: Int
    }

    private func prepare(_ request: InferenceRequest, start: ContinuousClock.Instant, decodeTime: Duration)
        throws(ServingError) -> Prepared
    {
        let tensors = try validate(request)
        let requested = try requestedOutputs(request)
        let configuration = self.configuration
        let timeout = configuration.timeoutMs
        let deadline = request.timeoutMicroseconds.map { start + .microseconds($0) } ?? timeout.map { start + .milliseconds($0) }
        return Prepared(
            request: request, tensors: tensors, requested: requested, deadline: deadline, start: start,
            decodeTime: decodeTime,
            batchSize: (configuration.maxBatchSize ?? 0) > 0 ? tensors.values.first?.shape.first ?? 1 : 1)
    }

    /// Records a failed request and returns its error.
    private func failed(_ error: ServingError, start: ContinuousClock.Instant, decodeTime: Duration) -> ServingError {
        let total = ContinuousClock.now - start + decodeTime
        statistics.recordFailure(total: total)
        metrics.recordFailure(error, total: total)
        return error
    }

    /// Builds the response from the run's outputs and records the request.
    private func finish(
        _ prepared: Prepared, results: [String: Tensor], queue: Duration, infer: Duration
    ) -> Result<InferenceResponse, ServingError> {
        let encodeStart = ContinuousClock.now
        var outputs: [InferenceResponse.Output] = []
        outputs.reserveCapacity(prepared.requested.count)
        for output in prepared.requested {
            guard let tensor = results[output.name] else {
                return .failure(failed(.internalError, start: prepared.start, decodeTime: prepared.decodeTime))
            }
            outputs.append(
                InferenceResponse.Output(
                    name: output.name, tensor: tensor, binary: output.binaryData ?? prepared.request.binaryDataOutput))
        }
        let response = InferenceResponse(
            modelName: key.name, modelVersion: String(key.version), id: prepared.request.id, outputs: outputs)
        let now = ContinuousClock.now
        let total = now - prepared.start + prepared.decodeTime
        statistics.recordSuccess(
            total: total, queue: queue, input: prepared.decodeTime, infer: infer, output: now - encodeStart)
        metrics.recordSuccess(
            batchSize: prepared.batchSize, total: total, queue: queue, input: prepared.decodeTime, infer: infer,
            output: now - encodeStart)
        return .success(response)
    }

    /// Checks the request's inputs against the served declarations and returns them by name.
    func validate(_ request: InferenceRequest) throws(ServingError) -> [String: Tensor] {
        var tensors: [String: Tensor] = [:]
        for input in request.inputs {
            guard let info = inputs.first(where: { $0.name == input.name }) else {
                throw .badRequest(
                    "model '\(key.name)' has no input '\(input.name)' (inputs: \(inputs.map(\.name).joined(separator: ", ")))")
            }
            let tensor = input.tensor
            guard tensor.dataType == info.dataType else {
                throw .badRequest(
                    "input '\(info.name)' of model '\(key.name)' expects datatype \(info.dataType.kserveName), "
                        + "\(tensor.dataType.kserveName) given")
            }
            if !info.shape.isEmpty {
                guard tensor.shape.count == info.shape.count,
                    zip(info.shape, tensor.shape).allSatisfy({ $0 < 0 || $0 == $1 })
                else {
                    throw .badRequest(
                        "input '\(info.name)' of model '\(key.name)' expects shape \(info.shape), \(tensor.shape) given")
                }
            }
            guard !tensor.shape.contains(0) else {
                throw .badRequest("input '\(info.name)' has an empty dimension in shape \(tensor.shape)")
            }
            if let maxBatch = configuration.maxBatchSize, maxBatch > 0, let batch = tensor.shape.first, batch > maxBatch {
                throw .badRequest(
                    "input '\(info.name)' has batch size \(batch), more than model '\(key.name)' accepts (\(maxBatch))")
            }
            tensors[info.name] = tensor
        }
        for info in inputs where tensors[info.name] == nil {
            throw .badRequest("model '\(key.name)' needs input '\(info.name)', which the request does not give")
        }
        return tensors
    }

    private func requestedOutputs(_ request: InferenceRequest) throws(ServingError) -> [InferenceRequest.RequestedOutput] {
        guard let requested = request.outputs, !requested.isEmpty else {
            return outputs.map { InferenceRequest.RequestedOutput(name: $0.name, binaryData: nil) }
        }
        for output in requested where !outputs.contains(where: { $0.name == output.name }) {
            throw .badRequest(
                "model '\(key.name)' has no output '\(output.name)' (outputs: \(outputs.map(\.name).joined(separator: ", ")))")
        }
        return requested
    }
}
