import ArgumentParser
import Foundation
import PaddleOCR

/// `paddle-swift ocr IMAGE...`: PP-OCR text detection and recognition on JPEG/PNG files.
struct OCRCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ocr",
        abstract: "Detect and recognise text in JPEG/PNG images (PP-OCR, as RapidOCR does it).",
        discussion: """
            Prints, per image, the recognised lines in reading order with their score and box (4 corners TL,TR,BR,BL \
            in image pixels). With --json, prints one JSON object per image and line: \
            {"image": PATH, "results": [{"box": [[x,y],...], "text": ..., "score": ...}]}. \
            --repeat N --timings (benchmarks): each image runs once to warm up, then N timed times; a line \
            {"timings": {"image", "median_s", "runs", "det_s", "cls_s", "rec_s"}} precedes its result. \
            Models come from $PADDLE_SWIFT_MODELS, $PADDLE_SWIFT_HOME/models or .paddle/models (run scripts/setup.sh).
            """)

    @Argument(help: "JPEG or PNG files.")
    var images: [String]

    @Flag(help: "Print JSON instead of a readable listing.")
    var json = false

    @Option(help: "Write a PNG with the boxes drawn (with several images: OUT-1.png, OUT-2.png, ...).")
    var draw: String?

    @Flag(name: .customLong("no-exif"), help: "Ignore the JPEG EXIF orientation (like RapidOCR).")
    var noEXIF = false

    @Option(name: [.customLong("version"), .customLong("model-version")], help: "PP-OCR model generation: v4 or v5.")
    var modelVersion: OCROptions.ModelVersion = .v4

    @Option(help: "CPU math threads per model.")
    var threads: Int = 1

    @Option(help: "CPU math threads of the detection model (default: --threads).")
    var detThreads: Int?

    @Option(help: "Predictors per model: with 2, two line batches (or images) run at once.")
    var poolSize: Int = 1

    @Option(help: "oneDNN cache capacity in input-shape sets (default: the engine's 10, which keeps memory flat; 0: no bound, so runs of 2 predictors overlap but memory grows with every new image or line size).")
    var onednnCache: Int?

    @Option(help: "Recognise each image N times (after one warm-up run when N > 1) and report the median time.")
    var `repeat`: Int = 1

    @Flag(help: "Print per image the seconds per run (file read, decode and recognition): median, runs, stages.")
    var timings = false

    @Option(help: "Models folder (default: $PADDLE_SWIFT_MODELS, else $PADDLE_SWIFT_HOME/models, else <repo>/.paddle/models).")
    var models: String?

    func validate() throws {
        guard !images.isEmpty else { throw ValidationError("give at least one image") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard (detThreads ?? 1) >= 1 else { throw ValidationError("--det-threads must be at least 1") }
        guard poolSize >= 1 else { throw ValidationError("--pool-size must be at least 1") }
        guard (onednnCache ?? 0) >= 0 else { throw ValidationError("--onednn-cache must be 0 or more") }
        guard `repeat` >= 1 else { throw ValidationError("--repeat must be at least 1") }
    }

    func run() async throws {
        var options = modelVersion == .v5 ? OCROptions.ppocrV5 : OCROptions()
        options.models.cpuThreads = threads
        options.models.poolSize = poolSize
        options.models.oneDNNCacheCapacity = onednnCache
        options.models.detectionThreads = detThreads
        options.models.directory = models
        options.preprocessing.applyEXIFOrientation = !noEXIF
        let pipeline: OCRPipeline
        do {
            pipeline = try OCRPipeline(options: options)
        } catch {
            Self.fail("cannot load the OCR models: \(error.message)")
            throw ExitCode.failure
        }
        var failures = 0
        for (index, path) in images.enumerated() {
            do {
                let (image, result, timing) = try await measure(pipeline, path: path)
                if timings { printTimings(path: path, timing) }
                if json {
                    try printJSON(path: path, result: result)
                } else {
                    printText(path: path, result: result)
                }
                if let draw {
                    let out = images.count == 1 ? draw : Self.numbered(draw, index + 1)
                    let drawn = image.drawingPolygons(result.results.map(\.box))
                    try drawn.pngData().write(to: URL(fileURLWithPath: out))
                }
            } catch let error as OCRError {
                failures += 1
                Self.fail("\(path): \(error.message)")
            } catch {
                failures += 1
                Self.fail("\(path): \(error.localizedDescription)")
            }
        }
        await pipeline.shutdown()
        if failures > 0 { throw ExitCode.failure }
    }

    /// Runs the file read, decode and recognition `repeat` times (plus a warm-up when `repeat` > 1).
    private func measure(_ pipeline: OCRPipeline, path: String) async throws -> (OCRImage, OCRResult, Timing) {
        let clock = ContinuousClock()
        var image = try OCRImage(contentsOfFile: path, applyEXIFOrientation: !noEXIF)
        var result = try await pipeline.recognize(image: image)
        guard `repeat` > 1 else { return (image, result, Timing(runs: [], stages: [result.timings])) }
        var timing = Timing()
        for _ in 0..<`repeat` {
            let start = clock.now
            image = try OCRImage(contentsOfFile: path, applyEXIFOrientation: !noEXIF)
            result = try await pipeline.recognize(image: image)
            let d = clock.now - start
            timing.runs.append(Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18)
            timing.stages.append(result.timings)
        }
        return (image, result, timing)
    }

    private struct Timing {
        var runs: [Double] = []
        var stages: [OCRTimings] = []
        static func median(_ values: [Double]) -> Double {
            guard !values.isEmpty else { return 0 }
            let s = values.sorted()
            return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
        }
    }

    private struct TimingJSON: Encodable {
        var image: String
        var median_s: Double?
        var runs: [Double]
        var det_s: Double
        var cls_s: Double
        var rec_s: Double
    }

    private func printTimings(path: String, _ timing: Timing) {
        let median = timing.runs.isEmpty ? nil : Timing.median(timing.runs)
        let det = Timing.median(timing.stages.map(\.detection))
        let cls = Timing.median(timing.stages.map(\.classification))
        let rec = Timing.median(timing.stages.map(\.recognition))
        if json {
            let value = TimingJSON(image: path, median_s: median, runs: timing.runs, det_s: det, cls_s: cls, rec_s: rec)
            if let data = try? JSONEncoder().encode(value) { print("{\"timings\":" + String(decoding: data, as: UTF8.self) + "}") }
        } else {
            let total = median.map { "\(Self.fmt($0))s median of \(timing.runs.count) runs, " } ?? ""
            print("\(path): \(total)det \(Self.fmt(det))s, cls \(Self.fmt(cls))s, rec \(Self.fmt(rec))s")
        }
    }

    private struct ImageResult: Encodable {
        var image: String
        var results: [OCRLine]
    }

    private func printJSON(path: String, result: OCRResult) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let data = try encoder.encode(ImageResult(image: path, results: result.results))
        print(String(decoding: data, as: UTF8.self))
    }

    private func printText(path: String, result: OCRResult) {
        let t = result.timings
        print(
            "\(path): \(result.results.count) lines (det \(Self.fmt(t.detection))s, cls \(Self.fmt(t.classification))s, rec \(Self.fmt(t.recognition))s)"
        )
        for line in result.results {
            let box = line.box.map { "\(Int($0.x.rounded())),\(Int($0.y.rounded()))" }.joined(separator: " ")
            print("  [\(Self.fmt(line.score))] \(line.text)    (\(box))")
        }
    }

    private static func fmt(_ v: Double) -> String { String(format: "%.3f", v) }

    private static func numbered(_ path: String, _ n: Int) -> String {
        let url = URL(fileURLWithPath: path)
        let ext = url.pathExtension
        let stem = url.deletingPathExtension().path
        return ext.isEmpty ? "\(stem)-\(n)" : "\(stem)-\(n).\(ext)"
    }

    private static func fail(_ message: String) {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
    }
}

extension OCROptions.ModelVersion: ExpressibleByArgument {}
