import ArgumentParser
import Foundation
import Histogram
import PaddleInference
import Synchronization

/// `paddle-swift bench MODEL`: throughput and latency of a model on a predictor pool.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure a model's throughput, latency percentiles and memory on a predictor pool.",
        discussion: """
            Inputs are synthetic: floats drawn uniformly from [0, 1), integers 0, booleans false. A dynamic first \
            dimension takes --batch; other dynamic dimensions take 320 unless --shape sets them. Latency is \
            measured by the caller around each run, so with --concurrency above --pool-size it includes the time \
            spent waiting for a predictor. Percentiles come from an HDR histogram (3 significant digits).
            """)

    @Argument(help: "A model directory, or a program file (.pdmodel, .json, __model__).")
    var model: String

    @Option(name: .customLong("pool-size"), help: "Predictors in the pool (one thread each).")
    var poolSize: Int = 1

    @Option(help: "Callers running at the same time (default: the pool size).")
    var concurrency: Int?

    @Option(help: "The batch size, used for a dynamic first dimension.")
    var batch: Int = 1

    @Option(
        name: .customLong("shape"),
        help: "An input shape as [NAME=]D0xD1x... (repeat per input; NAME may be left out for a one-input model).")
    var shapes: [String] = []

    @Option(help: "Untimed runs before measuring.")
    var warmup: Int = 10

    @Option(help: "Seconds to measure for (ignored when --iterations is given).")
    var duration: Double = 10

    @Option(help: "Timed runs to do instead of measuring for --duration.")
    var iterations: Int?

    @Flag(help: "Load every predictor on its own instead of cloning the first (no shared weights).")
    var independent = false

    @Flag(help: "Call one Predictor directly on the calling thread, without the pool (binding overhead checks).")
    var direct = false

    @Flag(help: "Print the result as JSON on standard output.")
    var json = false

    @Flag(name: .customLong("no-progress"), help: "Do not show progress.")
    var noProgress = false

    @OptionGroup var engine: EngineOptions

    func validate() throws {
        guard poolSize >= 1 else { throw ValidationError("--pool-size must be at least 1") }
        guard (concurrency ?? 1) >= 1 else { throw ValidationError("--concurrency must be at least 1") }
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
        guard warmup >= 0 else { throw ValidationError("--warmup must be at least 0") }
        guard duration > 0 else { throw ValidationError("--duration must be positive") }
        guard (iterations ?? 1) >= 1 else { throw ValidationError("--iterations must be at least 1") }
        if direct && (poolSize != 1 || (concurrency ?? 1) != 1 || independent) {
            throw ValidationError("--direct runs one predictor from one caller: leave out --pool-size, --concurrency and --independent")
        }
        for item in shapes { _ = try Self.parseShape(item) }
    }

    func run() async throws {
        let config = try engine.config(model: model)
        let callers = concurrency ?? poolSize
        let progress = BenchProgress(enabled: !noProgress, total: iterations, seconds: duration)
        let loadStart = ContinuousClock.now
        let target: BenchTarget
        if direct {
            target = .direct(try Predictor(config: config))
        } else {
            var options = PredictorPool.Options(size: poolSize, queueCapacity: max(callers, 1))
            options.independentPredictors = independent
            target = .pool(try PredictorPool(config: config, options: options))
        }
        let loadSeconds = Self.seconds(loadStart.duration(to: .now))
        let rssAfterLoad = Self.memory().rss
        let inputs = try makeInputs(for: target.inputs)

        progress.begin(phase: "warm-up", total: warmup)
        try await target.measure(callers: callers, iterations: warmup, until: nil, inputs: inputs, progress: progress)
        progress.begin(phase: "measure", total: iterations)
        let start = ContinuousClock.now
        let histogram = try await target.measure(
            callers: callers, iterations: iterations, until: iterations == nil ? start + .seconds(duration) : nil,
            inputs: inputs, progress: progress)
        let elapsed = Self.seconds(start.duration(to: .now))
        progress.end()
        let memory = Self.memory()
        await target.shutdown()

        let runs = Int(histogram.totalCount)
        let report = BenchReport(
            model: model, format: config.format.rawValue, engine: PaddleRuntime.version ?? "?",
            mode: direct ? "direct" : (independent ? "pool-independent" : "pool"),
            poolSize: poolSize, concurrency: callers, threadsPerPredictor: config.cpuThreads,
            oneDNN: config.resolvedOneDNN, batch: batch,
            inputs: inputs.keys.sorted().map { BenchReport.Input(name: $0, shape: inputs[$0]!.shape) },
            warmup: warmup, runs: runs, seconds: elapsed, loadSeconds: loadSeconds,
            throughput: Double(runs) / elapsed, samplesPerSecond: Double(runs * batch) / elapsed,
            latencyMs: .init(histogram), rssAfterLoadBytes: rssAfterLoad, rssBytes: memory.rss,
            pssBytes: memory.pss, peakRSSBytes: memory.peak)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(report.text)
        }
    }

    // MARK: Inputs

    /// Parses `[NAME=]D0xD1x...`.
    static func parseShape(_ text: String) throws -> (name: String?, shape: [Int]) {
        let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
        let dims = (parts.count == 2 ? parts[1] : parts[0]).split(separator: "x", omittingEmptySubsequences: false)
        let shape = dims.compactMap { Int($0) }
        guard !dims.isEmpty, shape.count == dims.count, shape.allSatisfy({ $0 >= 1 }) else {
            throw ValidationError("--shape takes [NAME=]D0xD1x... with positive dimensions, got '\(text)'")
        }
        return (parts.count == 2 ? parts[0] : nil, shape)
    }

    /// One synthetic tensor per model input.
    func makeInputs(for infos: [TensorInfo]) throws -> [String: Tensor] {
        var overrides: [String: [Int]] = [:]
        for item in shapes {
            let (name, shape) = try Self.parseShape(item)
            guard let name = name ?? (infos.count == 1 ? infos[0].name : nil) else {
                throw ValidationError("the model has \(infos.count) inputs: name the input in --shape NAME=...")
            }
            guard let info = infos.first(where: { $0.name == name }) else {
                throw ValidationError("the model has no input \(name) (inputs: \(infos.map(\.name).joined(separator: ", ")))")
            }
            guard info.shape.isEmpty || info.shape.count == shape.count else {
                throw ValidationError("input \(name) has rank \(info.shape.count), --shape gives \(shape.count) dimensions")
            }
            overrides[name] = shape
        }
        var inputs: [String: Tensor] = [:]
        for info in infos {
            let shape = overrides[info.name] ?? info.shape.enumerated().map { axis, dim in
                dim >= 0 ? dim : (axis == 0 ? batch : 320)
            }
            inputs[info.name] = try Self.synthetic(shape: shape, dataType: info.dataType)
        }
        return inputs
    }

    static func synthetic(shape: [Int], dataType: DataType) throws -> Tensor {
        try Tensor(shape: shape, dataType: dataType) { buffer in
            buffer.initializeMemory(as: UInt8.self, repeating: 0)
            guard dataType == .float32 else { return }
            var state: UInt64 = 0x9E37_79B9_7F4A_7C15
            let floats = buffer.bindMemory(to: Float.self)
            for i in floats.indices {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                floats[i] = Float(state >> 40) / Float(1 << 24)
            }
        }
    }

    // MARK: Measuring

    static func seconds(_ duration: Duration) -> Double {
        let (s, attoseconds) = duration.components
        return Double(s) + Double(attoseconds) * 1e-18
    }

    /// Current and peak resident set size (/proc/self/status), and proportional set size (/proc/self/smaps_rollup:
    /// shared pages divided among the processes that map them).
    static func memory() -> (rss: Int, peak: Int, pss: Int) {
        func field(_ name: String, in file: String) -> Int {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8),
                let line = text.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") })
            else { return 0 }
            return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
        }
        return (
            field("VmRSS", in: "/proc/self/status"), field("VmHWM", in: "/proc/self/status"),
            field("Pss", in: "/proc/self/smaps_rollup")
        )
    }
}

/// What the benchmark drives: a pool, or one predictor called directly.
enum BenchTarget {
    case pool(PredictorPool)
    case direct(Predictor)

    var inputs: [TensorInfo] {
        switch self {
        case .pool(let pool): pool.inputs
        case .direct(let predictor): predictor.inputs
        }
    }

    /// Runs `iterations` runs, or runs until `until`, from `callers` concurrent tasks; returns latencies in ns.
    @discardableResult
    func measure(
        callers: Int, iterations: Int?, until end: ContinuousClock.Instant?, inputs: [String: Tensor],
        progress: BenchProgress
    ) async throws -> Histogram<UInt64> {
        let tickets = BenchTickets(iterations: iterations ?? 0, until: end)
        @Sendable func nextTicket() -> Bool { tickets.next() }
        @Sendable func newHistogram() -> Histogram<UInt64> {
            var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
            histogram.autoResize = true
            return histogram
        }
        switch self {
        case .direct(let predictor):
            var histogram = newHistogram()
            while nextTicket() {
                let start = ContinuousClock.now
                _ = try predictor.run(inputs)
                histogram.record(UInt64(BenchCommand.seconds(start.duration(to: .now)) * 1e9))
                progress.count()
            }
            return histogram
        case .pool(let pool):
            return try await withThrowingTaskGroup(of: Histogram<UInt64>.self) { group in
                for _ in 0..<callers {
                    group.addTask {
                        var histogram = newHistogram()
                        while nextTicket() {
                            let start = ContinuousClock.now
                            _ = try await pool.run(inputs)
                            histogram.record(UInt64(BenchCommand.seconds(start.duration(to: .now)) * 1e9))
                            progress.count()
                        }
                        return histogram
                    }
                }
                var total = newHistogram()
                for try await histogram in group { total.add(histogram) }
                return total
            }
        }
    }

    func shutdown() async {
        switch self {
        case .pool(let pool): await pool.shutdown()
        case .direct(let predictor): predictor.destroy()
        }
    }
}

/// Hands out the runs of one phase to the callers: a fixed number, or as many as fit before a deadline.
final class BenchTickets: Sendable {
    private let issued = Atomic<Int>(0)
    private let iterations: Int
    private let end: ContinuousClock.Instant?

    init(iterations: Int, until end: ContinuousClock.Instant?) {
        self.iterations = iterations
        self.end = end
    }

    func next() -> Bool {
        if let end { return ContinuousClock.now < end }
        return issued.add(1, ordering: .relaxed).newValue <= iterations
    }
}

/// A live progress bar on a terminal (standard error), or a plain line every few seconds otherwise.
final class BenchProgress: Sendable {
    private struct Phase {
        var name = ""
        var total: Int?
        var start = ContinuousClock.now
        var lastPrint = ContinuousClock.now
    }

    private let enabled: Bool
    private let isTerminal: Bool
    private let seconds: Double
    private let done = Atomic<Int>(0)
    private let phase = Mutex(Phase())

    init(enabled: Bool, total: Int?, seconds: Double) {
        self.enabled = enabled
        isTerminal = isatty(STDERR_FILENO) == 1
        self.seconds = seconds
    }

    func begin(phase name: String, total: Int?) {
        if isTerminal && enabled { FileHandle.standardError.write(Data("\n".utf8)) }
        done.store(0, ordering: .relaxed)
        phase.withLock { $0 = Phase(name: name, total: total) }
    }

    func count() {
        let n = done.add(1, ordering: .relaxed).newValue
        guard enabled else { return }
        let line: String? = phase.withLock { p in
            let now = ContinuousClock.now
            guard p.lastPrint.duration(to: now) >= (isTerminal ? .milliseconds(200) : .seconds(2)) else { return nil }
            p.lastPrint = now
            let elapsed = BenchCommand.seconds(p.start.duration(to: now))
            let fraction = p.total.map { Double(n) / Double(max($0, 1)) } ?? (p.name == "measure" ? elapsed / seconds : 0)
            let rate = String(format: "%.1f runs/s", Double(n) / max(elapsed, 1e-9))
            let percent = String(format: "%3.0f%%", min(fraction, 1) * 100)
            if isTerminal {
                let width = 30
                let filled = Int(min(fraction, 1) * Double(width))
                let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
                return "\r\u{1B}[2K\(p.name) [\(bar)] \(percent)  \(n) runs  \(rate)"
            }
            return "\(p.name): \(percent), \(n) runs, \(rate)\n"
        }
        if let line { FileHandle.standardError.write(Data(line.utf8)) }
    }

    func end() {
        if isTerminal && enabled { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }
    }
}

/// The benchmark's result (`--json` prints it as is).
struct BenchReport: Codable {
    struct Input: Codable {
        var name: String
        var shape: [Int]
    }

    struct Latency: Codable {
        var p50, p90, p99, max, mean, min: Double

        init(_ histogram: Histogram<UInt64>) {
            let ms = { (ns: UInt64) in Double(ns) / 1e6 }
            p50 = ms(histogram.valueAtPercentile(50))
            p90 = ms(histogram.valueAtPercentile(90))
            p99 = ms(histogram.valueAtPercentile(99))
            max = ms(histogram.max)
            min = ms(histogram.min)
            mean = histogram.mean / 1e6
        }
    }

    var model: String
    var format: String
    var engine: String
    var mode: String
    var poolSize: Int
    var concurrency: Int
    var threadsPerPredictor: Int
    var oneDNN: Bool
    var batch: Int
    var inputs: [Input]
    var warmup: Int
    var runs: Int
    var seconds: Double
    var loadSeconds: Double
    var throughput: Double
    var samplesPerSecond: Double
    var latencyMs: Latency
    var rssAfterLoadBytes: Int
    var rssBytes: Int
    var pssBytes: Int
    var peakRSSBytes: Int

    var text: String {
        func f(_ value: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", value) }
        let mib = { (bytes: Int) in f(Double(bytes) / 1_048_576, 1) + " MiB" }
        let shapes = inputs.map { "\($0.name) \($0.shape)" }.joined(separator: ", ")
        return """
            model       \(model) (\(format), Paddle Inference \(engine))
            inputs      \(shapes)
            setup       \(mode), \(poolSize) predictor(s) x \(threadsPerPredictor) thread(s), oneDNN \(oneDNN ? "on" : "off"), \
            concurrency \(concurrency), batch \(batch)
            runs        \(runs) in \(f(seconds)) s after \(warmup) warm-up runs (load \(f(loadSeconds)) s)
            throughput  \(f(throughput)) runs/s, \(f(samplesPerSecond)) samples/s
            latency ms  p50 \(f(latencyMs.p50, 3))  p90 \(f(latencyMs.p90, 3))  p99 \(f(latencyMs.p99, 3))  \
            max \(f(latencyMs.max, 3))  mean \(f(latencyMs.mean, 3))
            memory      RSS \(mib(rssBytes)) (after load \(mib(rssAfterLoadBytes))), peak RSS \(mib(peakRSSBytes)), \
            PSS \(mib(pssBytes))
            """
    }
}
