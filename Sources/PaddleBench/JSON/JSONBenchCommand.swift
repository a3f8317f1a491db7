import ArgumentParser
import Foundation
import PaddleInference

/// `paddle-bench json`: paddle-swift's `JSONParser` against Foundation's `JSONSerialization` and `JSONDecoder` on
/// KServe v2 infer request bodies (tritonclient's FP32 JSON `data`), parse only and body-to-tensors.
///
/// Every decoder first decodes each body once and must give exactly the generated values. Then, per body size and
/// stage, the decoders run in rounds, interleaved (each round in a rotated order), each sample timing enough
/// iterations to last about `--sample-ms`; the figures are medians over the rounds, and the ratios are
/// Foundation's median time over ours (above 1: ours is faster).
struct JSONBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "json",
        abstract: "JSONParser vs JSONSerialization vs JSONDecoder on KServe infer request bodies.")

    @Option(help: "Body sizes in bytes, comma-separated.")
    var sizes: String = "1000,100000,10000000"

    @Option(help: "Interleaved rounds per size and stage (the median is taken over them).")
    var rounds: Int = 15

    @Option(help: "Target milliseconds per sample (iterations are calibrated to it).")
    var sampleMs: Int = 100

    @Option(help: "Write the results as JSON to this file.")
    var json: String?

    func validate() throws {
        guard rounds >= 3 else { throw ValidationError("--rounds must be at least 3") }
        guard sampleMs >= 1 else { throw ValidationError("--sample-ms must be at least 1") }
        guard !parsedSizes.isEmpty, parsedSizes.allSatisfy({ $0 >= 100 }) else {
            throw ValidationError("--sizes must list sizes of at least 100 bytes")
        }
    }

    private var parsedSizes: [Int] { sizes.split(separator: ",").compactMap { Int($0) } }

    func run() throws {
        var results: [JSONBenchResult] = []
        print("| body | values | stage | JSONParser | JSONSerialization | JSONDecoder | Serialization/ours | Decoder/ours |")
        print("|---:|---:|---|---:|---:|---:|---:|---:|")
        for size in parsedSizes {
            let body = KServeBody(targetBytes: size, seed: UInt64(size))
            try body.bytes.withUnsafeBytes { bytes in
                try Self.check(bytes, expected: body.values)
                for stage in JSONBenchResult.Stage.allCases {
                    let medians = try Self.measure(stage: stage, body: bytes, rounds: rounds, sampleMs: sampleMs)
                    let result = JSONBenchResult(
                        bodyBytes: body.bytes.count, values: body.values.count, stage: stage, medianSeconds: medians)
                    results.append(result)
                    print(result.markdownRow)
                }
            }
        }
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(results).write(to: URL(fileURLWithPath: json))
        }
    }

    /// Every decoder must give exactly the generated values.
    static func check(_ body: UnsafeRawBufferPointer, expected: [Float]) throws {
        for decoder in RequestDecoder.allCases {
            let inputs = try decoder.decode(body)
            guard inputs.count == 1, inputs[0].name == "INPUT0", inputs[0].tensor.shape == [1, expected.count] else {
                throw ValidationError("\(decoder.rawValue) decoded the wrong inputs")
            }
            let values: [Float] = try inputs[0].tensor.scalars()
            guard values.map(\.bitPattern) == expected.map(\.bitPattern) else {
                throw ValidationError("\(decoder.rawValue) decoded different values")
            }
        }
    }

    /// Median seconds per decode for each decoder, from interleaved rounds.
    static func measure(
        stage: JSONBenchResult.Stage, body: UnsafeRawBufferPointer, rounds: Int, sampleMs: Int
    ) throws -> [String: Double] {
        let decoders = RequestDecoder.allCases
        let clock = ContinuousClock()
        var sink = 0
        func once(_ decoder: RequestDecoder) throws {
            switch stage {
            case .parse: sink &+= try decoder.parse(body)
            case .tensors: sink &+= try decoder.decode(body).count
            }
        }
        // Calibration: iterations per sample so that one sample lasts about sampleMs, per decoder.
        var iterations: [RequestDecoder: Int] = [:]
        for decoder in decoders {
            try once(decoder)  // warm-up
            let elapsed = try clock.measure { try once(decoder) }
            let seconds = max(Self.seconds(elapsed), 1e-7)
            iterations[decoder] = max(1, Int(Double(sampleMs) / 1000 / seconds))
        }
        var samples: [RequestDecoder: [Double]] = [:]
        for round in 0..<rounds {
            for offset in 0..<decoders.count {
                let decoder = decoders[(round + offset) % decoders.count]
                let count = iterations[decoder]!
                let elapsed = try clock.measure { for _ in 0..<count { try once(decoder) } }
                samples[decoder, default: []].append(Self.seconds(elapsed) / Double(count))
            }
        }
        if sink == -1 { print("") }  // keeps the work observable
        return Dictionary(uniqueKeysWithValues: decoders.map { ($0.rawValue, Self.median(samples[$0]!)) })
    }

    static func seconds(_ duration: Duration) -> Double {
        let parts = duration.components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}
