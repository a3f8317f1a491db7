import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PaddleOCR
import PaddleTestSupport
import Testing

@testable import KServeProtocol
@testable import PaddleModelRepository
@testable import PaddleOCRServing
@testable import PaddleServing

/// The OCR endpoint's test fixtures: the shared sample images (`<repo>/../shared/ocr`, never copied into the
/// repository), one loaded pipeline per test process, and servers that expose `POST /v1/ocr`.
enum OCRTestSupport {
    /// Returns when the shared images are there (see ``SharedOCRData/require()``).
    static func requireSharedImages() throws { try SharedOCRData.require() }

    static func image(_ name: String) throws -> Data { try SharedOCRData.image(name) }

    struct Reference: Decodable {
        struct Line: Decodable {
            var box: [[Double]]
            var text: String
            var score: Double
        }
        var results: [Line]
    }

    static func reference(_ name: String) throws -> Reference { try SharedOCRData.reference(name) }

    /// One PP-OCRv4 pipeline (2 predictors per model) for the whole test process.
    static let pipeline = Task { () throws -> OCRPipeline in
        var options = OCROptions()
        options.models.directory = TestEnvironment.models
        options.models.poolSize = 2
        return try OCRPipeline(options: options)
    }

    /// A server with no Paddle models and the OCR route (RapidOCR's view of the pixels: EXIF ignored).
    static func makeServer(
        _ configure: (inout OCRRouteConfiguration) -> Void = { _ in }, port: Int = 0
    ) async throws -> InferenceServer {
        var logger = Logger(label: "paddle.serving.ocr-tests")
        logger.logLevel = .warning
        var server = InferenceServer(
            repository: ModelRepository(models: [], logger: logger), configuration: ServingConfiguration(port: port),
            logger: logger)
        var configuration = OCRRouteConfiguration(applyEXIFOrientation: false)
        configure(&configuration)
        server.addOCRRoutes(pipeline: try await pipeline.value, configuration: configuration)
        server.state.markStarted()
        return server
    }

    /// A generated PNG (white, with a row of dark blocks), independent of the shared folder.
    static func generatedPNG(width: Int = 160, height: Int = 48) throws -> Data {
        var pixels = [UInt8](repeating: 255, count: width * height * 3)
        for y in height / 3..<(2 * height / 3) {
            for x in 8..<(width - 8) where (x / 10) % 2 == 0 {
                for c in 0..<3 { pixels[(y * width + x) * 3 + c] = 20 }
            }
        }
        return try OCRImage(width: width, height: height, bgr: pixels).pngData()
    }

    /// A `multipart/form-data` body with `fields` (text) and one file field.
    static func multipart(
        boundary: String = "----paddle-swift-test-boundary", fileField: String = "image", filename: String = "a.jpg",
        file: Data, fields: [(String, String)] = []
    ) -> (body: ByteBuffer, contentType: String) {
        var buffer = ByteBuffer()
        buffer.writeString("preamble to ignore\r\n")
        for (name, value) in fields {
            buffer.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n")
        }
        buffer.writeString(
            "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(fileField)\"; filename=\"\(filename)\"\r\n"
                + "Content-Type: image/jpeg\r\n\r\n")
        buffer.writeBytes(file)
        buffer.writeString("\r\n--\(boundary)--\r\n")
        return (buffer, "multipart/form-data; boundary=\"\(boundary)\"")
    }

    /// The decoded JSON answer of `POST /v1/ocr`.
    struct Answer: Decodable {
        struct Line: Decodable {
            var box: [[Double]]
            var text: String
            var score: Double
        }
        var results: [Line]
        var timings: [String: Double]
        var width: Int
        var height: Int
    }

    static func decode(_ buffer: ByteBuffer) throws -> Answer {
        try JSONDecoder().decode(Answer.self, from: Data(buffer: buffer))
    }

    static func errorMessage(_ buffer: ByteBuffer) -> String {
        struct E: Decodable { var error: String }
        return (try? JSONDecoder().decode(E.self, from: Data(buffer: buffer)))?.error ?? ""
    }
}
