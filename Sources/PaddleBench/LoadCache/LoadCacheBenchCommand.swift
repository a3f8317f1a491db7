import ArgumentParser
import Foundation
import PaddleInference

/// `paddle-bench load-cache`: a model's load time up to its first answer, with and without
/// `Config.optimizationCache`, interleaved in one process (ABBA order). Prints one JSON object;
/// `bench/load-cache/run.sh` runs it per model and writes the table of docs/model-loading.md.
///
/// With `--once`: one cached load into `--cache` (kept), then prints its outcome and whether its outputs equal a
/// normal load's (for processes racing to store the same entry).
struct LoadCacheBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load-cache",
        abstract: "Load time to the first answer with and without the optimized-program cache.")

    @Option(help: "The model folder or file.")
    var model: String

    @Option(help: "Interleaved rounds (each loads once without and once with the cache).")
    var rounds: Int = 21

    @Option(help: "The input shape, e.g. 1x3x48x320 (default: the model's, with -1 as 1).")
    var shape: String?

    @Option(help: "The cache folder (default: a new temporary folder, removed at the end).")
    var cache: String?

    @Option(help: "The engine's memory optimisation: on, off or default.")
    var memoryOptim: String = "default"

    @Flag(help: "One cached load: print its outcome and whether it answers like a normal load, keep the folder.")
    var once = false

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    func validate() throws {
        guard rounds >= 1 else { throw ValidationError("--rounds must be at least 1") }
        guard ["on", "off", "default"].contains(memoryOptim) else {
            throw ValidationError("--memory-optim must be on, off or default")
        }
        if let shape, parsedShape == nil { throw ValidationError("--shape \(shape) is not like 1x3x48x320") }
    }

    private var parsedShape: [Int]? {
        guard let shape else { return nil }
        let dims = shape.split(separator: "x").map { Int($0) }
        return dims.allSatisfy { ($0 ?? 0) > 0 } && !dims.isEmpty ? dims.map { $0! } : nil
    }

    func run() throws {
        var plain = try Config(model: model)
        plain.cpuThreads = 1
        plain.memoryOptim = memoryOptim == "on" ? true : memoryOptim == "off" ? false : nil
        let cacheFolder = cache ?? NSTemporaryDirectory() + "load-cache-bench-" + UUID().uuidString
        var cached = plain
        cached.optimizationCache = URL(fileURLWithPath: cacheFolder, isDirectory: true)
        let inputs = LoadCacheInputs(shape: parsedShape)

        if once {
            let result = try LoadSample.measure(cached, inputs: inputs)
            let reference = try LoadSample.measure(plain, inputs: inputs)
            print("\(result.outcome.map { "\($0)" } ?? "none") identical=\(result.outputs == reference.outputs)")
            return
        }
        defer { if cache == nil { try? FileManager.default.removeItem(atPath: cacheFolder) } }

        // The key digests the model files on every cached load: time that alone.
        let files = plain.source.files
        let hashStart = LoadSample.now()
        for file in files { _ = try Config.sha256(ofFile: file) }
        let hashMS = LoadSample.now() - hashStart
        let modelBytes = files.reduce(0) {
            $0 + ((try? FileManager.default.attributesOfItem(atPath: $1)[.size] as? NSNumber)?.intValue ?? 0)
        }

        // Warm-up: the process's first load pays one-time engine set-up; the cached variant's first load stores.
        let coldStart = LoadSample.now()
        let reference = try LoadSample.measure(plain, inputs: inputs)
        let coldMS = LoadSample.now() - coldStart
        let store = try LoadSample.measure(cached, inputs: inputs)
        guard store.outcome == .stored else {
            throw Failure(description: "the first cached load should store, got \(String(describing: store.outcome))")
        }
        guard store.outputs == reference.outputs else { throw Failure(description: "the storing load's outputs differ") }

        var without: [LoadSample] = []
        var with: [LoadSample] = []
        var identical = true
        for round in 0..<rounds {
            // ABBA order, so that drift in machine load hits both variants alike.
            for useCache in round % 2 == 0 ? [false, true] : [true, false] {
                let sample = try LoadSample.measure(useCache ? cached : plain, inputs: inputs)
                if useCache {
                    guard sample.outcome == .hit else {
                        throw Failure(description: "expected a cache hit, got \(String(describing: sample.outcome))")
                    }
                    with.append(sample)
                } else {
                    without.append(sample)
                }
                identical = identical && sample.outputs == reference.outputs
            }
        }

        // Memory right after one more load of each (not a whole-process figure: other loads came before).
        let rssPlain = try LoadSample.rssDelta(plain, inputs: inputs)
        let rssCached = try LoadSample.rssDelta(cached, inputs: inputs)

        let p50Without = median(without.map(\.firstAnswerMS))
        let p50With = median(with.map(\.firstAnswerMS))
        let cpuWithout = median(without.map(\.cpuMS))
        let cpuWith = median(with.map(\.cpuMS))
        let result: [String: Any] = [
            "model": model,
            "format": plain.format.rawValue,
            "onednn": plain.resolvedOneDNN,
            "memory_optim": plain.resolvedMemoryOptim,
            "model_bytes": modelBytes,
            "rounds": rounds,
            "first_load_in_process_ms": coldMS,
            "without_cache_first_answer_p50_ms": p50Without,
            "with_cache_first_answer_p50_ms": p50With,
            "ratio": p50With / p50Without,
            "without_cache_cpu_p50_ms": cpuWithout,
            "with_cache_cpu_p50_ms": cpuWith,
            "cpu_ratio": cpuWith / cpuWithout,
            "without_cache_create_p50_ms": median(without.map(\.createMS)),
            "with_cache_create_p50_ms": median(with.map(\.createMS)),
            "without_cache_run_p50_ms": median(without.map { $0.firstAnswerMS - $0.createMS }),
            "with_cache_run_p50_ms": median(with.map { $0.firstAnswerMS - $0.createMS }),
            "store_load_ms": store.firstAnswerMS,
            "key_hash_ms": hashMS,
            "outputs_identical": identical,
            "samples_ms_create_answer_cpu": [
                "without": without.map { [$0.createMS, $0.firstAnswerMS, $0.cpuMS] },
                "with": with.map { [$0.createMS, $0.firstAnswerMS, $0.cpuMS] },
            ],
            "rss_delta_after_load_and_run_mb": ["without": rssPlain, "with": rssCached],
        ]
        let data = try JSONSerialization.data(withJSONObject: result, options: [.prettyPrinted, .sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }

    private func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}
