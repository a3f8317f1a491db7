import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PaddleTestSupport
import Testing

@testable import KServeProtocol
@testable import PaddleModelRepository
@testable import PaddleOCRServing
@testable import PaddleServing

/// `POST /v1/ocr` driven in-process through the router.
@Suite struct OCRRoutesTests {
    static let referenceImage = "ch_en_num.jpg"

    private func post(
        _ client: some TestClientProtocol, uri: String = "/v1/ocr", contentType: String? = nil, body: ByteBuffer,
        _ check: @escaping (TestResponse) throws -> Void
    ) async throws {
        var headers = HTTPFields()
        if let contentType { headers[.contentType] = contentType }
        try await client.execute(uri: uri, method: .post, headers: headers, body: body) { try check($0) }
    }

    private static func encoded(_ pattern: String) -> String {
        pattern.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
    }

    @Test func post_rawJPEG_textsEqualReferenceWithTimings() async throws {
        try OCRTestSupport.requireSharedImages()
        let reference = try OCRTestSupport.reference(Self.referenceImage)
        let app = try await OCRTestSupport.makeServer().makeApplication()
        try await app.test(.router) { client in
            try await post(client, body: ByteBuffer(data: try OCRTestSupport.image(Self.referenceImage))) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/json")
                let answer = try OCRTestSupport.decode(response.body)
                #expect(answer.results.map(\.text) == reference.results.map(\.text))
                for (ours, theirs) in zip(answer.results, reference.results) {
                    #expect(abs(ours.score - theirs.score) <= 0.05, "\(ours.text)")
                    for (p, q) in zip(ours.box, theirs.box) {
                        #expect(abs(p[0] - q[0]) <= 2 && abs(p[1] - q[1]) <= 2, "\(ours.text) box")
                    }
                }
                for stage in ["decode", "det", "cls", "rec", "total"] {
                    #expect((answer.timings[stage] ?? -1) >= 0, "timings.\(stage)")
                }
                #expect(answer.timings["total"]! > 0)
            }
        }
    }

    @Test func post_filterQuery_keepsOnlyMatchingLines() async throws {
        try OCRTestSupport.requireSharedImages()
        let pattern = "^[0-9.]+起?$"
        let regex = try Regex(pattern)
        let expected = try OCRTestSupport.reference(Self.referenceImage).results.map(\.text).filter { $0.contains(regex) }
        #expect(expected == ["10.0起", "10.0起", "5.8"])
        let app = try await OCRTestSupport.makeServer().makeApplication()
        try await app.test(.router) { client in
            let body = ByteBuffer(data: try OCRTestSupport.image(Self.referenceImage))
            try await post(client, uri: "/v1/ocr?filter=\(Self.encoded(pattern))", contentType: "image/jpeg", body: body) { r in
                #expect(r.status == .ok)
                let answer = try OCRTestSupport.decode(r.body)
                #expect(answer.results.map(\.text) == expected)
            }
            // A pattern nothing matches gives an empty list, not an error.
            try await post(client, uri: "/v1/ocr?filter=\(Self.encoded("^[0-9]{12}$"))", body: body) { r in
                #expect(r.status == .ok)
                let answer = try OCRTestSupport.decode(r.body)
                #expect(answer.results.isEmpty)
            }
        }
    }

    @Test func post_multipartWithFilterField_recognisesTheFileField() async throws {
        try OCRTestSupport.requireSharedImages()
        let reference = try OCRTestSupport.reference(Self.referenceImage).results.map(\.text)
        let app = try await OCRTestSupport.makeServer().makeApplication()
        try await app.test(.router) { client in
            let image = try OCRTestSupport.image(Self.referenceImage)
            let plain = OCRTestSupport.multipart(file: image)
            try await post(client, contentType: plain.contentType, body: plain.body) { r in
                #expect(r.status == .ok)
                let answer = try OCRTestSupport.decode(r.body)
                #expect(answer.results.map(\.text) == reference)
            }
            let filtered = OCRTestSupport.multipart(file: image, fields: [("filter", "福利|发货")])
            try await post(client, contentType: filtered.contentType, body: filtered.body) { r in
                #expect(r.status == .ok)
                let answer = try OCRTestSupport.decode(r.body)
                #expect(answer.results.map(\.text) == ["惊喜福利不容错过", "极速发货"])
            }
        }
    }

    @Test func post_generatedPNG_rawMultipartAndJSON_answer200() async throws {
        let png = try OCRTestSupport.generatedPNG()
        let app = try await OCRTestSupport.makeServer().makeApplication()
        try await app.test(.router) { client in
            try await post(client, body: ByteBuffer(data: png)) { r in
                #expect(r.status == .ok)
                let answer = try OCRTestSupport.decode(r.body)
                #expect(answer.width == 160 && answer.height == 48)
            }
            let form = OCRTestSupport.multipart(fileField: "file", filename: "x.png", file: png)
            try await post(client, contentType: form.contentType, body: form.body) { r in #expect(r.status == .ok) }
            let json = "{\"image\": \"data:image/png;base64,\(png.base64EncodedString())\", \"filter\": \"x\"}"
            try await post(client, contentType: "application/json", body: ByteBuffer(string: json)) { r in
                #expect(r.status == .ok)
                let answer = try OCRTestSupport.decode(r.body)
                #expect(answer.results.isEmpty)
            }
        }
    }

    @Test func post_invalidFilter_returns400NamingIt() async throws {
        let png = try OCRTestSupport.generatedPNG()
        let app = try await OCRTestSupport.makeServer().makeApplication()
        try await app.test(.router) { client in
            try await post(client, uri: "/v1/ocr?filter=\(Self.encoded("([0-9]"))", body: ByteBuffer(data: png)) { r in
                #expect(r.status == .badRequest)
                #expect(OCRTestSupport.errorMessage(r.body).contains("not a valid regular expression"))
            }
        }
    }

    @Test func post_truncatedOrBadImages_return400WithAClearMessage() async throws {
        let png = try OCRTestSupport.generatedPNG()
        let app = try await OCRTestSupport.makeServer().makeApplication()
        try await app.test(.router) { client in
            let cases: [(String, ByteBuffer, String)] = [
                ("truncated PNG", ByteBuffer(data: png.prefix(png.count / 2)), "cannot be decoded"),
                ("not an image", ByteBuffer(string: "hello, this is not an image"), "unrecognised image format"),
                ("empty body", ByteBuffer(), "no image"),
            ]
            for (what, body, message) in cases {
                try await post(client, body: body) { r in
                    #expect(r.status == .badRequest, "\(what)")
                    #expect(OCRTestSupport.errorMessage(r.body).contains(message), "\(what): \(OCRTestSupport.errorMessage(r.body))")
                }
            }
            let broken = OCRTestSupport.multipart(file: png)
            try await post(client, contentType: broken.contentType, body: broken.body.getSlice(at: 0, length: 300)!) { r in
                #expect(r.status == .badRequest)
                #expect(OCRTestSupport.errorMessage(r.body).contains("multipart"))
            }
            // Still serving after the failures.
            try await post(client, body: ByteBuffer(data: png)) { r in #expect(r.status == .ok) }
        }
    }

    @Test func post_truncatedJPEG_returns400() async throws {
        try OCRTestSupport.requireSharedImages()
        let jpeg = try OCRTestSupport.image(Self.referenceImage)
        let app = try await OCRTestSupport.makeServer().makeApplication()
        try await app.test(.router) { client in
            try await post(client, body: ByteBuffer(data: jpeg.prefix(jpeg.count / 3))) { r in
                #expect(r.status == .badRequest)
                #expect(OCRTestSupport.errorMessage(r.body).contains("JPEG"))
            }
        }
    }

    @Test func post_overLimits_returns413() async throws {
        let png = try OCRTestSupport.generatedPNG()
        let app = try await OCRTestSupport.makeServer { $0.maxImageBytes = png.count - 1; $0.maxImagePixels = 1_000_000 }
            .makeApplication()
        try await app.test(.router) { client in
            try await post(client, body: ByteBuffer(data: png)) { r in
                #expect(r.status == .contentTooLarge)
                #expect(OCRTestSupport.errorMessage(r.body).contains("\(png.count - 1) bytes"))
            }
            let form = OCRTestSupport.multipart(file: png)
            try await post(client, contentType: form.contentType, body: form.body) { r in #expect(r.status == .contentTooLarge) }
        }
        // A small file declaring 5000x5000 pixels is refused from its header, before decoding.
        var header = [UInt8](try OCRTestSupport.generatedPNG())
        header.replaceSubrange(16..<24, with: [0, 0, 0x13, 0x88, 0, 0, 0x13, 0x88])
        let big = header
        let pixels = try await OCRTestSupport.makeServer { $0.maxImagePixels = 1_000_000 }.makeApplication()
        try await pixels.test(.router) { client in
            try await post(client, body: ByteBuffer(bytes: big)) { r in
                #expect(r.status == .contentTooLarge)
                #expect(OCRTestSupport.errorMessage(r.body).contains("5000x5000"))
            }
        }
    }

    @Test func metrics_afterRequests_showStageHistograms() async throws {
        let png = try OCRTestSupport.generatedPNG()
        let app = try await OCRTestSupport.makeServer().makeApplication()
        try await app.test(.router) { client in
            try await post(client, body: ByteBuffer(data: png)) { r in #expect(r.status == .ok) }
            try await post(client, body: ByteBuffer(string: "bad")) { r in #expect(r.status == .badRequest) }
            try await client.execute(uri: "/metrics", method: .get) { response in
                let text = String(buffer: response.body)
                for stage in ["decode", "det", "cls", "rec", "total"] {
                    #expect(text.contains("paddle_ocr_stage_duration_seconds_count{stage=\"\(stage)\"} 1"), "\(stage)")
                }
                #expect(text.contains("paddle_ocr_requests_total{outcome=\"success\"} 1"))
                #expect(text.contains("paddle_ocr_requests_total{outcome=\"rejected\"} 1"))
            }
        }
    }
}
