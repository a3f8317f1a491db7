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
            Models come from $PADDLE_SWIFT_MODELS or .paddle/models (run scripts/setup.sh).
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

    @Option(help: "Models folder (default: $PADDLE_SWIFT_MODELS, else <repo>/.paddle/models).")
    var models: String?

    func validate() throws {
        guard !images.isEmpty else { throw ValidationError("give at least one image") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }

    func run() async throws {
        var options = modelVersion == .v5 ? OCROptions.ppocrV5 : OCROptions()
        options.models.cpuThreads = threads
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
                let image = try OCRImage(contentsOfFile: path, applyEXIFOrientation: !noEXIF)
                let result = try await pipeline.recognize(image: image)
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
