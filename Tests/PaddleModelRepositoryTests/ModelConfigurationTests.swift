import PaddleInference
import PaddleTestSupport
import Testing

@testable import KServeProtocol
@testable import PaddleModelRepository

@Suite struct ModelConfigurationTests {
    @Test func parse_fullYAML_readsEveryKey() throws {
        let configuration = try ModelConfiguration.parse(
            yaml: """
                name: cls
                pool_size: 2
                threads: 3
                onednn: false
                queue_capacity: 10
                timeout_ms: 500
                max_batch_size: 8
                warmup: false
                dynamic_batching:
                  preferred_batch_sizes: [4, 8]
                  max_queue_delay_us: 2000
                rate_limit:
                  requests_per_second: 50
                  burst: 5
                inputs:
                  - name: x
                    dims: [-1, 3, 48, 192]
                """)
        #expect(configuration.name == "cls")
        #expect(configuration.poolOptions.size == 2)
        #expect(configuration.poolOptions.queueCapacity == 10)
        #expect(configuration.poolOptions.defaultTimeout == .milliseconds(500))
        #expect(configuration.dynamicBatching?.preferredBatchSizes == [4, 8])
        #expect(configuration.rateLimit == .init(requestsPerSecond: 50, burst: 5))
        #expect(configuration.inputs == [.init(name: "x", dims: [-1, 3, 48, 192])])
    }

    @Test func memoryOptim_reachesTheEngineConfigAndNeedsAReload() throws {
        let off = try ModelConfiguration.parse(yaml: "memory_optim: false\n")
        #expect(off.memoryOptim == false)
        #expect(try off.engineConfig(model: ManagementFixtures.mlp).resolvedMemoryOptim == false)
        // Unset: the binding's default for a ProgramDesc model (on).
        #expect(try ModelConfiguration().engineConfig(model: ManagementFixtures.mlp).resolvedMemoryOptim == true)
        #expect(ModelConfiguration().needsReload(for: off))
        #expect(throws: ServingError.self) { try ModelConfiguration.parse(yaml: "memory_optim: sometimes\n") }
    }

    @Test func parse_emptyText_givesDefaults() throws {
        #expect(try ModelConfiguration.parse(yaml: "  \n") == ModelConfiguration())
    }

    @Test(arguments: [
        "pool_size: 0", "threads: -1", "dynamic_batching:\n  max_queue_delay_us: 10",
        "max_batch_size: 4\ndynamic_batching:\n  preferred_batch_sizes: [8]", "rate_limit:\n  requests_per_second: 0",
        "pool_size: [1]", "inputs: 3", ": : :",
    ])
    func parse_invalid_throws400(yaml: String) {
        #expect(throws: ServingError.self) { try ModelConfiguration.parse(yaml: yaml) }
    }

    @Test func apply_overrides_replaceDimsAndRejectMismatches() throws {
        let declared = [TensorInfo(name: "x", shape: [-1, 3, -1, -1], dataType: .float32)]
        let applied = try ModelConfiguration.apply([.init(name: "x", dims: [-1, 3, 48, 192])], to: declared, kind: "input")
        #expect(applied[0].shape == [-1, 3, 48, 192])
        #expect(throws: ServingError.self) {
            try ModelConfiguration.apply([.init(name: "y", dims: [1])], to: declared, kind: "input")
        }
        #expect(throws: ServingError.self) {
            try ModelConfiguration.apply([.init(name: "x", dims: [-1, 4, 48, 192])], to: declared, kind: "input")
        }
        #expect(throws: ServingError.self) {
            try ModelConfiguration.apply([.init(name: "x", datatype: "INT64")], to: declared, kind: "input")
        }
    }

    @Test func tokenBucket_refusesBeyondBurstThenRefills() {
        let bucket = TokenBucket(rate: 10, capacity: 2)
        let start = ContinuousClock.now
        #expect(bucket.acquire(now: start) == nil)
        #expect(bucket.acquire(now: start) == nil)
        let wait = bucket.acquire(now: start)
        #expect(wait != nil && wait! <= .milliseconds(100))
        #expect(bucket.acquire(now: start + .milliseconds(150)) == nil)
    }
}
