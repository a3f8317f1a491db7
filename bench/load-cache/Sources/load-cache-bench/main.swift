// Times a model's load up to its first answer, with and without Config.optimizationCache, interleaved in one
// process. Built and run by bench/load-cache/run.sh; prints one JSON object.
//
//   load-cache-bench --model DIR [--rounds N] [--shape 1x3x48x320] [--cache DIR] [--memory-optim on|off|default]
//   load-cache-bench --model DIR --cache DIR --once     # one cached load: prints its outcome, keeps the folder
import Foundation
import PaddleInference

struct Options {
    var model = ""
    var rounds = 21
    var shape: [Int]? = nil
    var cache = NSTemporaryDirectory() + "load-cache-bench-" + UUID().uuidString
    var memoryOptim: Bool? = nil
    /// One cached load, its outcome and whether its outputs equal a normal load's, then exit (for racing processes).
    var once = false
}

func parse() -> Options {
    var options = Options()
    var args = CommandLine.arguments.dropFirst().makeIterator()
    while let arg = args.next() {
        if arg == "--once" { options.once = true; continue }
        guard let value = args.next() else { fatalError("\(arg) needs a value") }
        switch arg {
        case "--model": options.model = value
        case "--rounds": options.rounds = Int(value)!
        case "--shape": options.shape = value.split(separator: "x").map { Int($0)! }
        case "--cache": options.cache = value
        case "--memory-optim": options.memoryOptim = value == "on" ? true : value == "off" ? false : nil
        default: fatalError("unknown option \(arg)")
        }
    }
    precondition(!options.model.isEmpty, "--model is required")
    return options
}

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e6 }

/// CPU time of the whole process (all threads), in ms: unlike wall time, not inflated when other jobs preempt us.
func cpuNow() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return Double(t.tv_sec) * 1e3 + Double(t.tv_nsec) / 1e6
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    let mid = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

func rssMB() -> Double {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
        let pages = text.split(separator: " ").dropFirst().first.flatMap({ Double($0) })
    else { return 0 }
    return pages * Double(sysconf(Int32(_SC_PAGESIZE))) / 1_048_576
}

/// One timed load: config, predictor creation, one run. Returns (create ms, first answer ms, its CPU ms, outcome,
/// outputs).
func load(_ config: Config, inputs: (Predictor) throws -> [String: Tensor]) throws
    -> (create: Double, firstAnswer: Double, cpu: Double, outcome: OptimizationCacheOutcome?, outputs: [String: Tensor])
{
    let cpuStart = cpuNow()
    let start = now()
    let predictor = try Predictor(config: config)
    let created = now()
    let outputs = try predictor.run(try inputs(predictor))
    let answered = now()
    return (created - start, answered - start, cpuNow() - cpuStart, predictor.optimizationCacheOutcome, outputs)
}

let options = parse()
var plain = try Config(model: options.model)
plain.cpuThreads = 1
plain.memoryOptim = options.memoryOptim
var cached = plain
cached.optimizationCache = URL(fileURLWithPath: options.cache, isDirectory: true)

func makeInputs(_ predictor: Predictor) throws -> [String: Tensor] {
    var inputs: [String: Tensor] = [:]
    for info in predictor.inputs {
        let shape = options.shape ?? info.shape.map { $0 < 0 ? 1 : $0 }
        let count = shape.reduce(1, *)
        var state: UInt64 = 42
        let values = (0..<count).map { _ -> Float in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(state >> 40) / Float(1 << 24) * 2 - 1
        }
        inputs[info.name] = try Tensor(shape: shape, scalars: values)
    }
    return inputs
}

if options.once {
    let result = try load(cached, inputs: makeInputs)
    let reference = try load(plain, inputs: makeInputs)
    print("\(result.outcome.map { "\($0)" } ?? "none") identical=\(result.outputs == reference.outputs)")
    exit(0)
}
defer { try? FileManager.default.removeItem(atPath: options.cache) }

// The key digests the model files on every cached load: time that alone.
let files = plain.source.files
let hashStart = now()
for file in files { _ = try Config.sha256(ofFile: file) }
let hashMS = now() - hashStart
let modelBytes = files.reduce(0) {
    $0 + ((try? FileManager.default.attributesOfItem(atPath: $1)[.size] as? NSNumber)?.intValue ?? 0)
}

// Warm-up: the process's first load pays one-time engine set-up; the cached variant's first load stores the entry.
let coldStart = now()
let reference = try load(plain, inputs: makeInputs)
let coldMS = now() - coldStart
let store = try load(cached, inputs: makeInputs)
precondition(store.outcome == .stored, "expected the first cached load to store, got \(String(describing: store.outcome))")
precondition(store.outputs == reference.outputs, "stored load's outputs differ")

var without: [(Double, Double, Double)] = []
var with: [(Double, Double, Double)] = []
var identical = true
for round in 0..<options.rounds {
    // ABBA order, so that drift in machine load hits both variants alike.
    let order = round % 2 == 0 ? [false, true] : [true, false]
    for useCache in order {
        let result = try load(useCache ? cached : plain, inputs: makeInputs)
        if useCache {
            precondition(result.outcome == .hit, "expected a cache hit, got \(String(describing: result.outcome))")
            with.append((result.create, result.firstAnswer, result.cpu))
        } else {
            without.append((result.create, result.firstAnswer, result.cpu))
        }
        identical = identical && result.outputs == reference.outputs
    }
}

// Memory right after one more load of each (not a whole-process figure: other loads came before).
let rssBefore = rssMB()
let keepPlain = try Predictor(config: plain)
_ = try keepPlain.run(try makeInputs(keepPlain))
let rssPlain = rssMB() - rssBefore
let rssBefore2 = rssMB()
let keepCached = try Predictor(config: cached)
_ = try keepCached.run(try makeInputs(keepCached))
let rssCached = rssMB() - rssBefore2

let p50Without = median(without.map(\.1))
let p50With = median(with.map(\.1))
let result: [String: Any] = [
    "model": options.model,
    "format": plain.format.rawValue,
    "onednn": plain.resolvedOneDNN,
    "memory_optim": plain.resolvedMemoryOptim,
    "model_bytes": modelBytes,
    "rounds": options.rounds,
    "first_load_in_process_ms": coldMS,
    "without_cache_first_answer_p50_ms": p50Without,
    "with_cache_first_answer_p50_ms": p50With,
    "ratio": p50With / p50Without,
    "without_cache_cpu_p50_ms": median(without.map(\.2)),
    "with_cache_cpu_p50_ms": median(with.map(\.2)),
    "cpu_ratio": median(with.map(\.2)) / median(without.map(\.2)),
    "without_cache_create_p50_ms": median(without.map(\.0)),
    "with_cache_create_p50_ms": median(with.map(\.0)),
    "without_cache_run_p50_ms": median(without.map { $0.1 - $0.0 }),
    "with_cache_run_p50_ms": median(with.map { $0.1 - $0.0 }),
    "store_load_ms": store.firstAnswer,
    "key_hash_ms": hashMS,
    "outputs_identical": identical,
    "samples_ms_create_answer_cpu": ["without": without.map { [$0.0, $0.1, $0.2] }, "with": with.map { [$0.0, $0.1, $0.2] }],
    "rss_delta_after_load_and_run_mb": ["without": rssPlain, "with": rssCached],
]
let data = try JSONSerialization.data(withJSONObject: result, options: [.prettyPrinted, .sortedKeys])
print(String(decoding: data, as: UTF8.self))
