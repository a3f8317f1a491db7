import Dispatch
import Foundation
import Synchronization
import Testing

@testable import PaddleInference

/// Tests of ``PredictorPool`` on the real engine with the real PP-OCR models from `scripts/setup.sh`.
///
/// Blocking a pool thread with a gate (a semaphore the test opens) makes queueing deterministic; the tests wait
/// for states (polling ``PredictorPool/statistics``), never for durations, and assert nothing about speed.
@Suite(.serialized) struct PredictorPoolTests {
    static let root = PaddleRuntime.packageRoot + "/.paddle/models"
    static let recV4 = root + "/ppocrv4/ch_PP-OCRv4_rec_infer"
    static let recV5 = root + "/ppocrv5/PP-OCRv5_mobile_rec"

    static func config(_ path: String = recV4) throws -> Config {
        var config = try Config(model: path)
        config.cpuThreads = 1
        return config
    }

    /// A deterministic recogniser input `[1, 3, 48, width]` with values in [-1, 1] drawn from `seed`.
    static func input(seed: UInt64, width: Int = 160) throws -> [String: Tensor] {
        var state = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        let count = 3 * 48 * width
        var values = [Float](repeating: 0, count: count)
        for i in 0..<count {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            values[i] = Float(Int64(state >> 40) - (1 << 23)) / Float(1 << 23)
        }
        return ["x": try Tensor(shape: [1, 3, 48, width], scalars: values)]
    }

    /// Polls until `condition` holds, for at most 120 s, so a broken pool fails instead of hanging (a bound, not a
    /// speed expectation: every condition here holds within milliseconds on an idle machine).
    static func waitUntil(_ what: String, _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            if condition() { return }
            try await Task.sleep(for: .milliseconds(5))
        }
        if condition() { return }
        Issue.record("gave up waiting until \(what)")
        throw CancellationError()
    }

    /// A flag or counter shared with pool threads.
    final class Counter: Sendable {
        private let storage = Atomic<Int>(0)
        var value: Int { storage.load(ordering: .sequentiallyConsistent) }
        func add(_ n: Int = 1) { storage.add(n, ordering: .sequentiallyConsistent) }
    }

    /// A gate that blocks a pool thread until the test opens it.
    final class Gate: Sendable {
        private let semaphore = DispatchSemaphore(value: 0)
        let entered = Counter()
        func pass() {
            entered.add()
            semaphore.wait()
        }
        func open(_ count: Int = 1) { for _ in 0..<count { semaphore.signal() } }
    }

    /// Occupies every predictor of `pool` with a call blocked on `gate`, and returns those calls.
    static func occupy(_ pool: PredictorPool, gate: Gate) async throws -> [Task<Void, any Error>] {
        let tasks = (0..<pool.size).map { _ in
            Task { try await pool.withPredictor { _ in gate.pass() } }
        }
        try await waitUntil("every predictor is blocked") { gate.entered.value == pool.size }
        return tasks
    }

    static func code(of body: () async throws -> Void) async -> PaddleError.Code? {
        do {
            try await body()
            return nil
        } catch let error as PaddleError {
            return error.code
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    // MARK: Results

    @Test func run_64ConcurrentCallers_matchSinglePredictorResults() async throws {
        let config = try Self.config()
        let single = try Predictor(config: config)
        let inputs = try (0..<16).map { try Self.input(seed: UInt64($0), width: 80 + 16 * ($0 % 4)) }
        let expected = try inputs.map { try single.run($0) }
        single.destroy()

        let pool = try PredictorPool(config: config, options: .init(size: 4, queueCapacity: 64))
        #expect(pool.size == 4)
        #expect(pool.inputs.map(\.name) == ["x"])
        let results = try await withThrowingTaskGroup(of: (Int, [String: Tensor]).self) { group in
            for caller in 0..<64 {
                group.addTask { (caller, try await pool.run(inputs[caller % inputs.count])) }
            }
            var results = [[String: Tensor]?](repeating: nil, count: 64)
            for try await (caller, outputs) in group { results[caller] = outputs }
            return results
        }
        for caller in 0..<64 {
            let outputs = try #require(results[caller])
            #expect(outputs == expected[caller % inputs.count], "caller \(caller) got a different result")
        }
        let stats = pool.statistics
        #expect(stats.completed == 64)
        #expect(stats.failed == 0 && stats.rejected == 0)
        await pool.shutdown()
    }

    @Test func run_pirModelClones_matchSinglePredictorResults() async throws {
        let config = try Self.config(Self.recV5)
        let input = try Self.input(seed: 7, width: 120)
        let single = try Predictor(config: config)
        let expected = try single.run(input)
        single.destroy()
        let pool = try PredictorPool(config: config, size: 2)
        let results = try await withThrowingTaskGroup(of: [String: Tensor].self) { group in
            for _ in 0..<6 { group.addTask { try await pool.run(input) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.count == 6)
        for outputs in results { #expect(outputs == expected) }
        await pool.shutdown()
    }

    @Test func results_asyncSequence_yieldsInInputOrder() async throws {
        let config = try Self.config()
        let inputs = try (0..<12).map { try Self.input(seed: 100 + UInt64($0), width: 64 + 8 * $0) }
        let single = try Predictor(config: config)
        let expected = try inputs.map { try single.run($0) }
        single.destroy()
        let pool = try PredictorPool(config: config, options: .init(size: 2, queueCapacity: 4))
        let (stream, continuation) = AsyncStream.makeStream(of: [String: Tensor].self)
        for input in inputs { continuation.yield(input) }
        continuation.finish()
        var received: [[String: Tensor]] = []
        for try await outputs in pool.results(for: stream, maxInFlight: 4) { received.append(outputs) }
        #expect(received == expected)
        #expect(pool.statistics.rejected == 0)
        await pool.shutdown()
    }

    @Test func withPredictor_runsOnADedicatedPoolThread() async throws {
        let pool = try PredictorPool(config: try Self.config(), size: 1)
        // Every call of a one-predictor pool runs on the same dedicated thread, never on the caller's.
        let first = try await pool.withPredictor { _ in UInt(bitPattern: Int(bitPattern: UInt(pthread_self()))) }
        let second = try await pool.withPredictor { _ in UInt(bitPattern: Int(bitPattern: UInt(pthread_self()))) }
        #expect(first == second)
        #expect(first != UInt(pthread_self()))
        await pool.shutdown()
    }

    @Test func run_wrongShape_throwsShapeMismatchWithoutQueueing() async throws {
        let pool = try PredictorPool(config: try Self.config(), size: 1)
        let bad = ["x": try Tensor(shape: [1, 1, 48, 80], scalars: [Float](repeating: 0, count: 48 * 80))]
        #expect(await Self.code { _ = try await pool.run(bad) } == .shapeMismatch)
        #expect(await Self.code { _ = try await pool.run([:]) } == .invalidArgument)
        #expect(await Self.code { _ = try await pool.run(try Self.input(seed: 1), outputs: ["nope"]) } == .unknownName)
        #expect(pool.statistics == PoolStatistics(size: 1))
        await pool.shutdown()
    }

    @Test(arguments: [0, -1]) func init_badSize_throwsInvalidArgument(size: Int) throws {
        let config = try Self.config()
        do {
            _ = try PredictorPool(config: config, size: size)
            Issue.record("a pool of size \(size) was made")
        } catch {
            #expect(error.code == .invalidArgument)
        }
    }

    // MARK: Back-pressure, deadlines, cancellation

    @Test func run_queueFull_failsAtOnceWithOverloaded() async throws {
        let pool = try PredictorPool(config: try Self.config(), options: .init(size: 1, queueCapacity: 2))
        let gate = Gate()
        let blockers = try await Self.occupy(pool, gate: gate)
        let input = try Self.input(seed: 3)
        let queued = (0..<2).map { _ in Task { try await pool.run(input) } }
        try await Self.waitUntil("two calls are queued") { pool.statistics.queued == 2 }

        // The queue is full: the next call must fail at once, without waiting for the blocked predictor.
        #expect(await Self.code { _ = try await pool.run(input) } == .overloaded)
        #expect(await Self.code { _ = try await pool.withPredictor { _ in 1 } } == .overloaded)
        #expect(pool.statistics.rejected == 2)
        #expect(pool.statistics.queued == 2)

        gate.open()
        for task in blockers { try await task.value }
        for task in queued { _ = try await task.value }
        let stats = pool.statistics
        #expect(stats.completed == 3 && stats.queued == 0 && stats.busy == 0)
        await pool.shutdown()
    }

    @Test func queue_ordersCallsByRequestStart_thenByArrival() async throws {
        let pool = try PredictorPool(config: try Self.config(), options: .init(size: 1, queueCapacity: 16))
        let gate = Gate()
        let blockers = try await Self.occupy(pool, gate: gate)
        let order = Labels()
        let input = try Self.input(seed: 5)
        let t0 = ContinuousClock.now
        // Queued one at a time, in this order: two calls naming no request (queued by arrival), an old request's
        // call, a newer request's two calls, another call naming none, and a call of the oldest request.
        let plan: [(String, ContinuousClock.Instant?)] = [
            ("plain1", nil), ("plain2", nil), ("old", t0 - .seconds(10)), ("newer1", t0 - .seconds(5)),
            ("newer2", t0 - .seconds(5)), ("plain3", nil), ("oldest", t0 - .seconds(20)),
        ]
        var tasks: [Task<Void, any Error>] = []
        for (index, (label, start)) in plan.enumerated() {
            tasks.append(Task { @Sendable in
                try await PredictorPool.$requestStart.withValue(start) { @Sendable in
                    _ = try await pool.withPredictor { predictor in
                        order.append(label)
                        return try predictor.run(input).count
                    }
                }
            })
            try await Self.waitUntil("\(index + 1) calls are queued") { pool.statistics.queued == index + 1 }
        }
        gate.open()
        for task in blockers { try await task.value }
        for task in tasks { try await task.value }
        #expect(order.all == ["oldest", "old", "newer1", "newer2", "plain1", "plain2", "plain3"])
        await pool.shutdown()
    }

    /// Labels appended from any thread, in order.
    final class Labels: Sendable {
        private let labels = Mutex<[String]>([])
        func append(_ label: String) { labels.withLock { $0.append(label) } }
        var all: [String] { labels.withLock { $0 } }
    }

    @Test func inRequestOrder_keepsTheOutermostStart() async throws {
        #expect(PredictorPool.requestStart == nil)
        let (outer, inner) = await PredictorPool.inRequestOrder { () async -> (ContinuousClock.Instant?, ContinuousClock.Instant?) in
            let outer = PredictorPool.requestStart
            let inner = await PredictorPool.inRequestOrder { () async in PredictorPool.requestStart }
            return (outer, inner)
        }
        #expect(outer != nil && outer == inner)
        #expect(PredictorPool.requestStart == nil)
    }

    @Test func run_deadlinePassesWhileQueued_throwsTimedOutAndNeverRuns() async throws {
        let pool = try PredictorPool(config: try Self.config(), options: .init(size: 1, queueCapacity: 8))
        let gate = Gate()
        let blockers = try await Self.occupy(pool, gate: gate)
        let ran = Counter()
        let late = Task {
            try await pool.withPredictor(deadline: .now + .milliseconds(50)) { _ in
                ran.add()
            }
        }
        // The gate stays closed until the deadline has fired, so the call cannot have started.
        let code = await Self.code { try await late.value }
        #expect(code == .timedOut)
        #expect(pool.statistics.queued == 0)

        // A deadline that has already passed fails at once.
        #expect(await Self.code { _ = try await pool.run(try Self.input(seed: 1), deadline: .now - .seconds(1)) } == .timedOut)

        gate.open()
        for task in blockers { try await task.value }
        await pool.shutdown()
        #expect(ran.value == 0)
        #expect(pool.statistics.timedOut == 2)
    }

    @Test func run_defaultTimeout_appliesWhenNoDeadlineGiven() async throws {
        let pool = try PredictorPool(
            config: try Self.config(), options: .init(size: 1, queueCapacity: 8, defaultTimeout: .milliseconds(50)))
        let gate = Gate()
        let blockers = try await Self.occupy(pool, gate: gate)
        #expect(await Self.code { _ = try await pool.run(try Self.input(seed: 2)) } == .timedOut)
        gate.open()
        for task in blockers { try await task.value }
        // With a free predictor the same call runs normally.
        _ = try await pool.run(try Self.input(seed: 2))
        await pool.shutdown()
    }

    @Test func run_cancelledWhileQueued_throwsCancelledAndNeverRuns() async throws {
        let pool = try PredictorPool(config: try Self.config(), options: .init(size: 1, queueCapacity: 8))
        let gate = Gate()
        let blockers = try await Self.occupy(pool, gate: gate)
        let ran = Counter()
        let waiting = Task {
            try await pool.withPredictor { _ in ran.add() }
        }
        try await Self.waitUntil("the call is queued") { pool.statistics.queued == 1 }
        waiting.cancel()
        #expect(await Self.code { try await waiting.value } == .cancelled)
        #expect(pool.statistics.queued == 0)

        // A task cancelled before it calls never enters the queue.
        let early = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            try await pool.withPredictor { _ in ran.add() }
        }
        #expect(await Self.code { try await early.value } == .cancelled)

        gate.open()
        for task in blockers { try await task.value }
        await pool.shutdown()
        #expect(ran.value == 0)
        let stats = pool.statistics
        #expect(stats.cancelled == 2 && stats.completed == 1)
    }

    @Test func run_cancelledWhileRunning_completesTheRun() async throws {
        let pool = try PredictorPool(config: try Self.config(), size: 1)
        let gate = Gate()
        let running = Task { try await pool.withPredictor { _ in gate.pass(); return 42 } }
        try await Self.waitUntil("the call runs") { gate.entered.value == 1 }
        running.cancel()
        gate.open()
        #expect(try await running.value == 42)
        await pool.shutdown()
    }

    // MARK: Shutdown

    @Test func shutdown_finishesQueuedWorkAndRefusesNewWork() async throws {
        let pool = try PredictorPool(config: try Self.config(), options: .init(size: 1, queueCapacity: 8))
        let gate = Gate()
        let blockers = try await Self.occupy(pool, gate: gate)
        let input = try Self.input(seed: 5)
        let queued = (0..<3).map { _ in Task { try await pool.run(input) } }
        try await Self.waitUntil("three calls are queued") { pool.statistics.queued == 3 }

        let finished = Counter()
        let shutdown = Task {
            await pool.shutdown()
            finished.add()
        }
        try await Self.waitUntil("the pool is shutting down") { pool.isShutDown }
        #expect(await Self.code { _ = try await pool.run(input) } == .shutdown)
        #expect(finished.value == 0)  // the blocked call is still in flight

        gate.open()
        for task in blockers { try await task.value }
        let first = try await queued[0].value
        for task in queued { #expect(try await task.value == first) }
        await shutdown.value
        #expect(finished.value == 1)
        let stats = pool.statistics
        #expect(stats.completed == 4 && stats.rejected == 1 && stats.busy == 0 && stats.queued == 0)
        #expect(await Self.code { _ = try await pool.withPredictor { _ in 1 } } == .shutdown)
        await pool.shutdown()  // a second shutdown returns at once
    }

    // MARK: Leaks

    @Test func run_1000Runs_releaseEveryTensorAndKeepMemoryFlat() async throws {
        let freed = Counter()
        weak var weakPool: PredictorPool?
        var growth = 0
        do {
            let pool = try PredictorPool(config: try Self.config(), options: .init(size: 2, queueCapacity: 16))
            weakPool = pool
            let width = 48
            let count = 3 * 48 * width
            func makeInput(_ i: Int) throws -> [String: Tensor] {
                let memory = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
                for j in 0..<count { memory[j] = Float((i + j) % 17) / 17 }
                let tensor = try Tensor(
                    shape: [1, 3, 48, width], dataType: .float32, unsafeNoCopy: UnsafeRawBufferPointer(memory),
                    deallocator: { pointer in
                        pointer.deallocate()
                        freed.add()
                    })
                return ["x": tensor]
            }
            func batch(_ range: Range<Int>) async throws {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for i in range {
                        if i - range.lowerBound >= 8 { try await group.next() }  // at most 8 calls at a time
                        group.addTask { _ = try await pool.run(try makeInput(i)) }
                    }
                    try await group.waitForAll()
                }
            }
            try await batch(0..<200)  // warm-up: engine caches and allocator pools settle
            let before = residentBytes()
            try await batch(200..<1000)
            growth = residentBytes() - before
            #expect(pool.statistics.completed == 1000)
            await pool.shutdown()
        }
        // Each predictor keeps its last input alive until it is released; after shutdown every input is freed.
        #expect(freed.value == 1000)
        #expect(weakPool == nil)
        #expect(growth < 16 << 20, "resident memory grew by \(growth >> 10) KiB over 800 runs")
    }
}
