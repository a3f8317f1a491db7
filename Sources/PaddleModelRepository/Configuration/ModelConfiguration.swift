import Foundation
import KServeProtocol
import PaddleInference
import Yams

/// A model's serving options, read from `config.yaml` (or `config.yml`) in its folder of the model repository.
///
/// Every key is optional:
///
/// ```yaml
/// name: cls                 # defaults to the folder name
/// pool_size: 2              # predictors (and threads) for each loaded version
/// threads: 1                # math threads per predictor
/// onednn: false             # oneDNN on or off (default: the engine binding's choice)
/// memory_optim: false      # the engine's buffer-reuse plan on or off (default: on, off for PIR models, which
///                           #   cannot use it); off makes loads from the optimization cache several times faster
/// onednn_cache_capacity: 64 # input shape sets oneDNN keeps kernels for (0 = no bound; default 10, or
///                           #   2 x max_batch_size with dynamic batching)
/// queue_capacity: 64        # requests that may wait for a predictor (503 beyond)
/// timeout_ms: 30000         # the longest a request may wait for a predictor
/// max_batch_size: 8         # the largest batch (dimension 0) accepted; 0 = no batch dimension checks
/// warmup: true              # run the model once before reporting ready
/// load: on_demand           # on_demand (load at its first request, evictable) or eager (load at start-up,
///                           #   never evicted); default: eager, or on_demand when the repository's models
///                           #   do not fit the server's memory budget
/// load_timeout_ms: 30000    # how long a request waits for an on-demand load (503 with Retry-After beyond)
/// dynamic_batching:         # off unless present
///   preferred_batch_sizes: [4, 8]
///   max_queue_delay_us: 2000
/// rate_limit:               # off unless present
///   requests_per_second: 100
///   burst: 20
/// inputs:                   # overrides of what the engine declares
///   - name: x
///     dims: [-1, 3, 48, 192]
/// outputs:
///   - name: softmax_0.tmp_0
///     dims: [-1, 2]
/// ```
///
/// The same file may hold the model-management keys `version_policy` and `routing` (see ``ManagementSettings``).
/// Changing `rate_limit`, `timeout_ms` or `warmup` applies in place; other keys reload the model's versions
/// (``needsReload(for:)``).
public struct ModelConfiguration: Sendable, Codable, Equatable {
    /// `name`: the served name; must match the model's folder in a repository.
    public var name: String?
    /// `pool_size`: predictors (and threads) for each loaded version (default 1).
    public var poolSize: Int?
    /// `threads`: math threads per predictor (`Config.cpuThreads` in PaddleInference).
    public var threads: Int?
    /// `onednn`: oneDNN on or off (default: the engine binding's choice for the format).
    public var onednn: Bool?
    /// `memory_optim`: the engine's memory optimisation (buffer reuse between operators; `Config/memoryOptim`).
    /// Default: the binding's (on for ProgramDesc models, off for PIR models, which cannot use it). A small model
    /// gains little from it, and without it a load from the optimized-program cache skips the engine's graph
    /// rebuild (docs/model-loading.md).
    public var memoryOptim: Bool?
    /// `Config/oneDNNCacheCapacity`. Default: the engine's (10); with dynamic batching at least twice
    /// `max_batch_size`, so that every batch size keeps its kernels and predictors run in parallel.
    public var onednnCacheCapacity: Int?
    /// `queue_capacity`: requests that may wait for a predictor (503 beyond; default 64).
    public var queueCapacity: Int?
    /// `timeout_ms`: the longest a request may wait for a predictor.
    public var timeoutMs: Int?
    /// `max_batch_size`: the largest batch (dimension 0) accepted; 0 means no batch dimension checks.
    public var maxBatchSize: Int?
    /// `warmup`: run the model once before it takes traffic (default `true`).
    public var warmup: Bool?
    /// When the model loads: ``LoadMode/eager`` or ``LoadMode/onDemand``; `nil` lets the server choose (see
    /// ``MemoryBudget``).
    public var load: LoadMode?
    /// How long a request waits for an on-demand load before a 503 with `Retry-After`
    /// (default: ``RepositoryOptions/loadTimeout``).
    public var loadTimeoutMs: Int?
    /// `dynamic_batching`: off unless present.
    public var dynamicBatching: DynamicBatching?
    /// `rate_limit`: off unless present.
    public var rateLimit: RateLimit?
    /// `inputs`: overrides of the inputs the engine declares.
    public var inputs: [TensorOverride]?
    /// `outputs`: overrides of the outputs the engine declares.
    public var outputs: [TensorOverride]?

    /// When a model is loaded, and whether the memory budget may evict it.
    public enum LoadMode: String, Sendable, Codable, Equatable {
        /// Loaded at start-up and never evicted.
        case eager
        /// Loaded by its first request; unloaded when idle and the memory budget needs room.
        case onDemand = "on_demand"
    }

    /// Dynamic batching: concurrent requests merged along dimension 0.
    public struct DynamicBatching: Sendable, Codable, Equatable {
        /// `preferred_batch_sizes`: batch sizes the batcher runs as soon as it has them.
        public var preferredBatchSizes: [Int]?
        /// `max_queue_delay_us`: the longest a request waits for others to batch with (default 1000).
        public var maxQueueDelayUs: Int?

        /// Dynamic batching with these settings.
        public init(preferredBatchSizes: [Int]? = nil, maxQueueDelayUs: Int? = nil) {
            self.preferredBatchSizes = preferredBatchSizes
            self.maxQueueDelayUs = maxQueueDelayUs
        }

        enum CodingKeys: String, CodingKey {
            case preferredBatchSizes = "preferred_batch_sizes"
            case maxQueueDelayUs = "max_queue_delay_us"
        }
    }

    /// A token bucket: `requestsPerSecond` refill rate, `burst` capacity.
    public struct RateLimit: Sendable, Codable, Equatable {
        /// `requests_per_second`: the refill rate.
        public var requestsPerSecond: Double
        /// `burst`: the bucket's capacity (default: the rate, at least 1).
        public var burst: Int?

        /// A rate limit of `requestsPerSecond` with bursts of `burst`.
        public init(requestsPerSecond: Double, burst: Int? = nil) {
            self.requestsPerSecond = requestsPerSecond
            self.burst = burst
        }

        enum CodingKeys: String, CodingKey {
            case requestsPerSecond = "requests_per_second"
            case burst
        }
    }

    /// Replaces the declared dims (and checks the declared type) of one input or output.
    public struct TensorOverride: Sendable, Codable, Equatable {
        /// The input or output name.
        public var name: String
        /// The dims to serve (-1 for a dynamic dimension).
        public var dims: [Int]?
        /// The KServe datatype the model must have (checked, not converted).
        public var datatype: String?

        /// An override of tensor `name`.
        public init(name: String, dims: [Int]? = nil, datatype: String? = nil) {
            self.name = name
            self.dims = dims
            self.datatype = datatype
        }
    }

    enum CodingKeys: String, CodingKey {
        case name
        case poolSize = "pool_size"
        case threads, onednn
        case memoryOptim = "memory_optim"
        case onednnCacheCapacity = "onednn_cache_capacity"
        case queueCapacity = "queue_capacity"
        case timeoutMs = "timeout_ms"
        case maxBatchSize = "max_batch_size"
        case warmup, load
        case loadTimeoutMs = "load_timeout_ms"
        case dynamicBatching = "dynamic_batching"
        case rateLimit = "rate_limit"
        case inputs, outputs
    }

    /// A configuration with these keys (`nil` leaves a key to its default).
    public init(
        name: String? = nil, poolSize: Int? = nil, threads: Int? = nil, onednn: Bool? = nil,
        queueCapacity: Int? = nil, timeoutMs: Int? = nil, maxBatchSize: Int? = nil, warmup: Bool? = nil,
        dynamicBatching: DynamicBatching? = nil, rateLimit: RateLimit? = nil, inputs: [TensorOverride]? = nil,
        outputs: [TensorOverride]? = nil
    ) {
        self.name = name
        self.poolSize = poolSize
        self.threads = threads
        self.onednn = onednn
        self.queueCapacity = queueCapacity
        self.timeoutMs = timeoutMs
        self.maxBatchSize = maxBatchSize
        self.warmup = warmup
        self.dynamicBatching = dynamicBatching
        self.rateLimit = rateLimit
        self.inputs = inputs
        self.outputs = outputs
    }

    /// Parses YAML text.
    ///
    /// - Throws: `ServingError` (400) describing the problem.
    public static func parse(yaml text: String, source: String = "config") throws(ServingError) -> ModelConfiguration {
        let configuration: ModelConfiguration
        try ConfigurationSchema.check(yaml: text, source: source)
        do {
            if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return ModelConfiguration() }
            configuration = try YAMLDecoder().decode(ModelConfiguration.self, from: text)
        } catch {
            throw .badRequest("invalid model configuration \(source): \(error)")
        }
        try configuration.validate(source: source)
        return configuration
    }

    /// Reads `config.yaml` or `config.yml` from `directory`; an empty configuration when neither exists.
    public static func load(directory: String) throws(ServingError) -> ModelConfiguration {
        for name in ["config.yaml", "config.yml"] {
            let path = directory + "/" + name
            guard FileManager.default.fileExists(atPath: path) else { continue }
            return try load(file: path)
        }
        return ModelConfiguration()
    }

    /// Reads a YAML configuration file.
    public static func load(file path: String) throws(ServingError) -> ModelConfiguration {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .badRequest("cannot read model configuration \(path)")
        }
        return try parse(yaml: String(decoding: data, as: UTF8.self), source: path)
    }

    /// Checks value ranges.
    public func validate(source: String = "config") throws(ServingError) {
        func check(_ condition: Bool, _ message: String) throws(ServingError) {
            if !condition { throw .badRequest("invalid model configuration \(source): \(message)") }
        }
        try check((poolSize ?? 1) >= 1 && (poolSize ?? 1) <= 64, "pool_size must be 1...64")
        try check((threads ?? 1) >= 1 && (threads ?? 1) <= 256, "threads must be 1...256")
        try check((queueCapacity ?? 0) >= 0, "queue_capacity must be >= 0")
        try check((timeoutMs ?? 1) >= 1, "timeout_ms must be >= 1")
        try check((onednnCacheCapacity ?? 0) >= 0, "onednn_cache_capacity must be >= 0")
        try check((maxBatchSize ?? 0) >= 0, "max_batch_size must be >= 0")
        try check((loadTimeoutMs ?? 1) >= 1, "load_timeout_ms must be >= 1")
        if let batching = dynamicBatching {
            try check((maxBatchSize ?? 0) >= 1, "dynamic_batching needs max_batch_size >= 1")
            for size in batching.preferredBatchSizes ?? [] {
                try check(size >= 1 && size <= (maxBatchSize ?? 0), "preferred batch size \(size) is not in 1...max_batch_size")
            }
            try check((batching.maxQueueDelayUs ?? 0) >= 0, "max_queue_delay_us must be >= 0")
        }
        if let rateLimit {
            try check(rateLimit.requestsPerSecond > 0 && rateLimit.requestsPerSecond.isFinite, "requests_per_second must be > 0")
            try check((rateLimit.burst ?? 1) >= 1, "burst must be >= 1")
        }
    }

    /// The engine config for the model at `path` with these options, loading through the optimized-program cache
    /// `optimizationCache` when there is one.
    func engineConfig(model path: String, optimizationCache: URL? = nil) throws(PaddleError) -> Config {
        var config = try Config(model: path)
        config.optimizationCache = optimizationCache
        if let threads { config.cpuThreads = threads }
        if let onednn { config.oneDNN = onednn }
        if let memoryOptim { config.memoryOptim = memoryOptim }
        if let onednnCacheCapacity {
            config.oneDNNCacheCapacity = onednnCacheCapacity
        } else if dynamicBatching != nil, let maxBatchSize, maxBatchSize > 1 {
            config.oneDNNCacheCapacity = max(10, 2 * maxBatchSize)
        }
        return config
    }

    /// The pool options these settings ask for.
    var poolOptions: PredictorPool.Options {
        PredictorPool.Options(
            size: poolSize ?? 1, queueCapacity: queueCapacity ?? 64,
            defaultTimeout: timeoutMs.map { .milliseconds($0) })
    }

    /// `declared` with the overrides of `overrides` applied.
    static func apply(
        _ overrides: [TensorOverride]?, to declared: [TensorInfo], kind: String
    ) throws(ServingError) -> [TensorInfo] {
        guard let overrides, !overrides.isEmpty else { return declared }
        var result = declared
        for override in overrides {
            guard let index = result.firstIndex(where: { $0.name == override.name }) else {
                throw .badRequest(
                    "the configuration overrides \(kind) '\(override.name)', which the model does not have "
                        + "(\(kind)s: \(declared.map(\.name).joined(separator: ", ")))")
            }
            let info = result[index]
            if let datatype = override.datatype, datatype != info.dataType.kserveName {
                throw .badRequest(
                    "the configuration gives \(kind) '\(info.name)' datatype \(datatype), the model has \(info.dataType.kserveName)")
            }
            if let dims = override.dims {
                if !info.shape.isEmpty {
                    guard dims.count == info.shape.count,
                        zip(dims, info.shape).allSatisfy({ $1 < 0 || $0 == $1 })
                    else {
                        throw .badRequest(
                            "the configuration gives \(kind) '\(info.name)' dims \(dims), which do not fit the model's \(info.shape)")
                    }
                }
                result[index] = TensorInfo(name: info.name, shape: dims, dataType: info.dataType)
            }
        }
        return result
    }
}
