import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PaddleTestSupport
import ServiceLifecycle
import Testing

@testable import KServeProtocol
@testable import PaddleModelRepository
@testable import PaddleOCRServing
@testable import PaddleServing

/// `POST /v1/ocr` over real HTTP on a loopback port chosen by the system.
@Suite struct OCRRoutesLiveTests {
    @Test func liveServer_concurrentRequests_allAnswerLikeSequentialOnes() async throws {
        let bodies = try [OCRTestSupport.generatedPNG(), OCRTestSupport.generatedPNG(width: 200)]
        // The client's read timeout scales with this machine: one OCR run of the larger image, measured here, times
        // 30 (three requests share one pipeline while other tests load the cores), and never under 60 s. A fixed
        // 20 s failed on an AVX2-only CPU, where the engine runs about 3x slower.
        let pipeline = try await OCRTestSupport.pipeline.value
        let expected = try await bodies.asyncMap { try await pipeline.recognize(imageData: $0).results.map(\.text) }
        let started = ContinuousClock.now
        _ = try await pipeline.recognize(imageData: bodies[1])
        let timeout = max(.seconds(60), (ContinuousClock.now - started) * 30)

        try await OCRTestSupport.withLiveClient(try await OCRTestSupport.makeServer(), timeout: timeout) { client in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, body) in bodies.enumerated() {
                    group.addTask {
                        let response = try await client.execute(
                            .init("/v1/ocr", method: .post, authority: "localhost", body: ByteBuffer(data: body)))
                        #expect(response.head.status == .ok, "request \(index)")
                        let answer = try OCRTestSupport.decode(response.body ?? ByteBuffer())
                        #expect(answer.results.map(\.text) == expected[index], "request \(index)")
                    }
                }
                // A bad request in the middle does not disturb the others.
                group.addTask {
                    let response = try await client.execute(
                        .init("/v1/ocr", method: .post, authority: "localhost", body: ByteBuffer(string: "\u{FF}\u{D8}garbage")))
                    #expect(response.head.status == .badRequest)
                }
                try await group.waitForAll()
            }
            let metrics = try await client.execute(.init("/metrics", method: .get, authority: "localhost"))
            #expect(String(buffer: metrics.body ?? ByteBuffer()).contains("paddle_ocr_stage_duration_seconds_bucket{stage=\"rec\""))
        }
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}

extension OCRTestSupport {
    /// Runs `server` on a loopback port chosen by the system and hands `body` a connected HTTP/1.1 client whose read
    /// timeout is `timeout` (Hummingbird's `.live` test client has a fixed 20 s).
    static func withLiveClient<T: Sendable>(
        _ server: InferenceServer, timeout: Duration, _ body: @Sendable (TestClient) async throws -> T
    ) async throws -> T {
        let (ports, continuation) = AsyncStream.makeStream(of: Int?.self)
        let app = server.makeApplication(onServerRunning: { continuation.yield($0) })
        var logger = Logger(label: "paddle.serving.live-tests")
        logger.logLevel = .warning
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() ?? nil else {
                await group.triggerGracefulShutdown()
                throw ServingError.unavailable("the test server reported no port")
            }
            let client = TestClient(host: "localhost", port: port, configuration: .init(timeout: timeout))
            client.connect()
            do {
                let value = try await body(client)
                try await client.shutdown()
                await group.triggerGracefulShutdown()
                return value
            } catch {
                try? await client.shutdown()
                await group.triggerGracefulShutdown()
                throw error
            }
        }
    }
}
