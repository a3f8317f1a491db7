import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PaddleOCR
import PaddleTestSupport
import PaddleWaybill
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@testable import KServeProtocol
@testable import PaddleModelRepository
@testable import PaddleOCRServing
@testable import PaddleServing

/// `POST /v1/waybill` over real HTTP on a loopback port, with the real engine, models and a generated waybill.
@Suite struct WaybillRoutesLiveTests {
    /// A server with the OCR and waybill routes over the test process's pipeline (EXIF ignored, as RapidOCR).
    static func makeServer() async throws -> InferenceServer {
        var server = try await OCRTestSupport.makeServer()
        server.addWaybillRoutes(
            slot: OCRPipelineSlot(try await OCRTestSupport.pipeline.value), reader: try WaybillReader(),
            configuration: OCRRouteConfiguration(applyEXIFOrientation: false))
        return server
    }

    /// The answer as a JSON object, and without its `timings` as canonical JSON (keys sorted) to compare.
    static func object(_ data: Data) throws -> (all: [String: Any], withoutTimings: Data) {
        let all = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        var rest = all
        rest["timings"] = nil
        return (all, try JSONSerialization.data(withJSONObject: rest, options: [.sortedKeys]))
    }

    @Test func waybill_rawGBKAndMultipart_answerTheCommandsJSONWithTimings() async throws {
        let (image, truth) = try WaybillTestSet.first { $0.meta.turn == 0 && !$0.meta.handwriting }
        // What `paddle-swift waybill --json` prints for the same pixels (minus the image name).
        let pipeline = try await OCRTestSupport.pipeline.value
        let decoded = try OCRImage(decoding: image, applyEXIFOrientation: false)
        let started = ContinuousClock.now
        let direct = try await WaybillReader().read(decoded: decoded, pipeline: pipeline).waybill
        let timeout = max(.seconds(60), (ContinuousClock.now - started) * 30)
        let expected = try Self.object(WaybillJSON.encode(direct)).withoutTimings
        #expect(direct.waybillNumber == truth.waybill_number)

        try await OCRTestSupport.withLiveClient(try await Self.makeServer(), timeout: timeout) { client in
            let raw = try await client.execute(
                .init("/v1/waybill", method: .post, authority: "localhost", body: ByteBuffer(data: image)))
            #expect(raw.head.status == .ok)
            #expect(raw.headers[.contentType] == "application/json")
            let answer = try Self.object(Data(buffer: raw.body ?? ByteBuffer()))
            #expect(answer.withoutTimings == expected)
            #expect(answer.all["waybill_number"] as? String == truth.waybill_number)
            let timings = try #require(answer.all["timings"] as? [String: Double])
            #expect(Set(timings.keys) == ["decode", "det", "cls", "rec", "total", "upright", "read"])
            #expect(timings["det"]! > 0 && timings["rec"]! > 0)

            let gbk = try await client.execute(
                .init("/v1/waybill?charset=gbk", method: .post, authority: "localhost", body: ByteBuffer(data: image)))
            #expect(gbk.head.status == .ok)
            #expect(gbk.headers[.contentType] == "application/json; charset=GBK")
            let gbkBytes = Data(buffer: gbk.body ?? ByteBuffer())
            #expect(String(validatingUTF8: Array(gbkBytes).map(CChar.init(bitPattern:)) + [0]) == nil, "GBK, not UTF-8")
            let utf8 = try Self.utf8(fromGBK: gbkBytes)
            #expect(try Self.object(utf8).withoutTimings == expected)

            let form = OCRTestSupport.multipart(filename: "label.jpg", file: image, fields: [("filter", "[0-9]")])
            var headers = HTTPFields()
            headers[.contentType] = form.contentType
            let multipart = try await client.execute(
                .init("/v1/waybill", method: .post, authority: "localhost", headers: headers, body: form.body))
            #expect(multipart.head.status == .ok)
            let filtered = try Self.object(Data(buffer: multipart.body ?? ByteBuffer())).all
            #expect(filtered["image"] as? String == "label.jpg")
            #expect(filtered["waybill_number"] as? String == truth.waybill_number, "fields come from every line")
            let lines = try #require(filtered["lines"] as? [[String: Any]])
            #expect(!lines.isEmpty && lines.count < direct.lines.count)
            #expect(lines.allSatisfy { ($0["text"] as? String)?.contains(/[0-9]/) == true })

            let metrics = try await client.execute(.init("/metrics", method: .get, authority: "localhost"))
            let text = String(buffer: metrics.body ?? ByteBuffer())
            #expect(text.contains("paddle_waybill_requests_total{outcome=\"success\"} 3"))
            #expect(text.contains("paddle_waybill_stage_duration_seconds_bucket{stage=\"rec\""))
        }
    }

    @Test func waybill_badInput_answers4xxAndKeepsServing() async throws {
        let body = try OCRTestSupport.generatedPNG()
        try await OCRTestSupport.withLiveClient(try await Self.makeServer(), timeout: .seconds(120)) { client in
            let cases: [(String, ByteBuffer, HTTPResponse.Status)] = [
                ("/v1/waybill", ByteBuffer(), .badRequest),
                ("/v1/waybill", ByteBuffer(string: "this is not an image"), .badRequest),
                ("/v1/waybill", ByteBuffer(string: "\u{FF}\u{D8}garbage"), .badRequest),
                ("/v1/waybill?charset=latin1", ByteBuffer(data: body), .badRequest),
                ("/v1/waybill?filter=(", ByteBuffer(data: body), .badRequest),
            ]
            for (path, request, status) in cases {
                let response = try await client.execute(.init(path, method: .post, authority: "localhost", body: request))
                #expect(response.head.status == status, "\(path) \(request.readableBytes) bytes")
                #expect(!OCRTestSupport.errorMessage(response.body ?? ByteBuffer()).isEmpty, "\(path)")
            }
            // Still serving: a good image reads (no waybill on it: every field null, the lines there).
            let ok = try await client.execute(.init("/v1/waybill", method: .post, authority: "localhost", body: ByteBuffer(data: body)))
            #expect(ok.head.status == .ok)
            let answer = try Self.object(Data(buffer: ok.body ?? ByteBuffer())).all
            #expect(answer["waybill_number"] is NSNull)
            #expect(answer["lines"] is [Any])
            let metrics = try await client.execute(.init("/metrics", method: .get, authority: "localhost"))
            #expect(String(buffer: metrics.body ?? ByteBuffer()).contains("paddle_waybill_requests_total{outcome=\"rejected\"} 5"))
        }
    }

    /// GBK bytes back to UTF-8 through the C library's iconv (the reverse of `WaybillJSON.gbk`).
    static func utf8(fromGBK data: Data) throws -> Data {
        let cd = iconv_open("UTF-8", "GBK")
        guard cd != iconv_t(bitPattern: -1) else { throw CocoaError(.featureUnsupported) }
        defer { iconv_close(cd) }
        var input = Array(data)
        var output = [UInt8](repeating: 0, count: input.count * 2 + 16)
        let inCount = input.count
        let (result, left, written) = input.withUnsafeMutableBufferPointer { inBuf in
            output.withUnsafeMutableBufferPointer { outBuf in
                var inPtr: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(inBuf.baseAddress!).assumingMemoryBound(to: CChar.self)
                var outPtr: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(outBuf.baseAddress!).assumingMemoryBound(to: CChar.self)
                var inLeft = inCount, outLeft = outBuf.count
                let r = iconv(cd, &inPtr, &inLeft, &outPtr, &outLeft)
                return (r, inLeft, outBuf.count - outLeft)
            }
        }
        guard result != -1, left == 0 else { throw CocoaError(.fileReadInapplicableStringEncoding) }
        return Data(output[..<written])
    }
}
