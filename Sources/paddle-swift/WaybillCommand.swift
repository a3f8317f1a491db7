import ArgumentParser
import Foundation
import PaddleOCR
import PaddleWaybill

/// `paddle-swift waybill IMAGE...`: the fields of express-waybill photos.
struct WaybillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "waybill",
        abstract: "Read express-waybill photos: carrier, number, receiver, sender, weight, pieces, date.",
        discussion: """
            Runs PP-OCR on each JPEG/PNG image and reads the waybill's fields. With --json, prints one JSON object per \
            image and line: {"image", "carrier": {"name", "code"}, "waybill_number", "receiver": {"name", "phone", \
            "address": {"province", "city", "district", "detail", "full"}}, "sender": {...}, "weight_kg", "pieces", \
            "date", "confidence": {field: score}, "lines": [{"box", "text", "score"}]}; a field not found is null. \
            --charset gbk writes that JSON in GBK. Models come from $PADDLE_SWIFT_MODELS, $PADDLE_SWIFT_HOME/models or .paddle/models.
            """)

    @Argument(help: "JPEG or PNG files.")
    var images: [String]

    @Flag(help: "Print JSON instead of a readable listing.")
    var json = false

    @Option(help: "Character set of the JSON output: utf-8 or gbk.")
    var charset: Charset = .utf8

    @Flag(name: .customLong("no-upright-pass"),
          help: "Read pages turned by 90° or 270° from the first OCR pass only (faster, less accurate on those).")
    var noUprightPass = false

    @Option(help: "CPU math threads per model.")
    var threads: Int = 1

    @Option(help: "Models folder (default: $PADDLE_SWIFT_MODELS, else $PADDLE_SWIFT_HOME/models, else <repo>/.paddle/models).")
    var models: String?

    enum Charset: String, ExpressibleByArgument, CaseIterable {
        case utf8 = "utf-8", gbk
    }

    func validate() throws {
        guard !images.isEmpty else { throw ValidationError("give at least one image") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }

    func run() async throws {
        var options = OCROptions()
        options.models.cpuThreads = threads
        options.models.directory = models
        let pipeline: OCRPipeline
        let reader: WaybillReader
        do {
            pipeline = try OCRPipeline(options: options)
            reader = try WaybillReader()
        } catch let error as OCRError {
            Self.fail("cannot load the OCR models: \(error.message)")
            throw ExitCode.failure
        } catch let error as WaybillError {
            Self.fail("cannot load the divisions table: \(error.message)")
            throw ExitCode.failure
        }
        var failures = 0
        for path in images {
            do {
                let data = try Data(contentsOf: URL(fileURLWithPath: path))
                let reading = try await reader.read(imageData: data, pipeline: pipeline, image: path, uprightPass: !noUprightPass)
                let waybill = reading.waybill
                if json {
                    let body = charset == .gbk ? try WaybillJSON.encodeGBK(waybill) : try WaybillJSON.encode(waybill)
                    FileHandle.standardOutput.write(body + Data("\n".utf8))
                } else {
                    printText(waybill, reading: reading)
                }
            } catch let error as OCRError {
                failures += 1
                Self.fail("\(path): \(error.message)")
            } catch let error as WaybillError {
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

    private func printText(_ w: Waybill, reading: WaybillReader.Reading) {
        func v(_ s: String?) -> String { s ?? "-" }
        let seconds = String(format: "%.3f", reading.timings.total)
        print("\(w.image ?? "-"): \(w.lines.count) lines, page turned \(reading.pageTurn)°, \(reading.passes) OCR pass(es) \(seconds)s")
        print("  carrier:   \(w.carrier.map { "\($0.name) (\($0.code))" } ?? "-")")
        print("  number:    \(v(w.waybillNumber))")
        for (label, party) in [("receiver", w.receiver), ("sender", w.sender)] {
            let a = party?.address
            print("  \(label):  \(v(party?.name))  \(v(party?.phone))")
            print("             \(v(a?.province)) | \(v(a?.city)) | \(v(a?.district)) | \(v(a?.detail))")
        }
        print("  weight:    \(w.weightKg.map { "\($0) kg" } ?? "-")   pieces: \(w.pieces.map(String.init) ?? "-")   date: \(v(w.date))")
    }

    private static func fail(_ message: String) {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
    }
}
