import Foundation
import PaddleInference

/// One timed load of `paddle-bench load-cache`: the predictor's creation and its first run.
struct LoadSample {
    /// From the start to the predictor's creation.
    let createMS: Double
    /// From the start to the first answer.
    let firstAnswerMS: Double
    /// The process's CPU time over the load (all threads): not inflated when other jobs preempt the benchmark.
    let cpuMS: Double
    /// What the optimized-program cache did, when the config has one.
    let outcome: OptimizationCacheOutcome?
    /// The first run's outputs.
    let outputs: [String: Tensor]

    static func measure(_ config: Config, inputs: LoadCacheInputs) throws -> LoadSample {
        let cpuStart = cpuNow()
        let start = now()
        let predictor = try Predictor(config: config)
        let created = now()
        let outputs = try predictor.run(try inputs.make(for: predictor))
        let answered = now()
        return LoadSample(
            createMS: created - start, firstAnswerMS: answered - start, cpuMS: cpuNow() - cpuStart,
            outcome: predictor.optimizationCacheOutcome, outputs: outputs)
    }

    /// Milliseconds on a monotonic clock.
    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e6 }

    /// The process's CPU time in milliseconds.
    static func cpuNow() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        return Double(time.tv_sec) * 1e3 + Double(time.tv_nsec) / 1e6
    }

    /// The growth of resident memory (MB) from before one more load of `config` to after its first answer, with
    /// the predictor still alive.
    static func rssDelta(_ config: Config, inputs: LoadCacheInputs) throws -> Double {
        let before = residentMB()
        let predictor = try Predictor(config: config)
        _ = try predictor.run(try inputs.make(for: predictor))
        let after = residentMB()
        withExtendedLifetime(predictor) {}
        return after - before
    }

    private static func residentMB() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
            let pages = text.split(separator: " ").dropFirst().first.flatMap({ Double($0) })
        else { return 0 }
        return pages * Double(sysconf(Int32(_SC_PAGESIZE))) / 1_048_576
    }
}

/// The deterministic inputs of `paddle-bench load-cache`: pseudo-random floats in [-1, 1), the same every load.
struct LoadCacheInputs {
    /// The shape of every input, or `nil` for the model's own (-1 as 1).
    let shape: [Int]?

    func make(for predictor: Predictor) throws -> [String: Tensor] {
        var inputs: [String: Tensor] = [:]
        for info in predictor.inputs {
            let shape = shape ?? info.shape.map { $0 < 0 ? 1 : $0 }
            let count = shape.reduce(1, *)
            var state: UInt64 = 42
            let values = (0..<count).map { _ -> Float in
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return Float(state >> 40) / Float(1 << 24) * 2 - 1
            }
            inputs[info.name] = try Tensor(shape: shape, scalars: values)
        }
        return inputs
    }
}
