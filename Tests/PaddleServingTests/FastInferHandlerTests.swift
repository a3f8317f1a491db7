import Atomics
import HTTPTypes
import KServeProtocol
import NIOCore
import NIOEmbedded
import NIOHTTPTypes
import PaddleTestSupport
import Testing

@testable import PaddleModelRepository
@testable import PaddleServing

/// The event-loop fast path on its own, on NIO's thread-safe testing channel (`NIOAsyncTestingChannel`, the
/// sibling of `EmbeddedChannel` whose event loop accepts work from other threads: replies come back from the
/// predictor pool's threads). The real classifier runs behind the real pipeline.
@Suite struct FastInferHandlerTests {
    /// A channel with only the fast path in it: what the handler passes on shows up as inbound reads.
    static func makeChannel() async throws -> NIOAsyncTestingChannel {
        let server = try await TestModels.shared.value
        let handler = FastInferHandler(pipeline: server.pipeline, serverName: "test")
        return try await NIOAsyncTestingChannel(handler: handler)
    }

    static func head(_ path: String, length: Int, extra: HTTPFields = [:]) -> HTTPRequestPart {
        var fields = extra
        fields[.contentLength] = String(length)
        return .head(HTTPRequest(method: .post, scheme: nil, authority: "t", path: path, headerFields: fields))
    }

    /// Reads one whole response (head, body, end) written by the handler.
    static func response(_ channel: NIOAsyncTestingChannel) async throws -> (HTTPResponse, String) {
        guard case .head(let head) = try await channel.waitForOutboundWrite(as: HTTPResponsePart.self) else {
            throw Unexpected.part
        }
        var body = ""
        while true {
            switch try await channel.waitForOutboundWrite(as: HTTPResponsePart.self) {
            case .body(let buffer): body += String(buffer: buffer)
            case .end: return (head, body)
            case .head: throw Unexpected.part
            }
        }
    }

    enum Unexpected: Error { case part }

    @Test func inferRoute_takesOnlyTheInferPathsAndNamesTheirParts() {
        #expect(FastInferHandler.inferRoute("/v2/models/m/infer")! == ("m", nil))
        #expect(FastInferHandler.inferRoute("/v2/models/rec_v4/versions/12/infer")! == ("rec_v4", "12"))
        #expect(FastInferHandler.inferRoute("/v2/models/名/infer")! == ("名", nil))
        for other in [
            "/", "", "/v2/models/m", "/v2/models//infer", "/v2/models/m/infer/", "/v2/models/m/ready",
            "/v2/models/m/versions//infer", "/v2/models/m/version/1/infer", "/v1/models/m/infer",
            "/v2/models/m%2F/infer", "/v2/models/m/infer?x=1", "v2/models/m/infer", "/v2/models/m/x/y/z/infer",
        ] {
            #expect(FastInferHandler.inferRoute(other) == nil, "\(other)")
        }
    }

    @Test func connectionHeader_closeIsATokenInAnyCase() {
        #expect(FastInferHandler.containsClose("close"))
        #expect(FastInferHandler.containsClose("Keep-Alive, CLOSE"))
        #expect(!FastInferHandler.containsClose("keep-alive"))
        #expect(!FastInferHandler.containsClose("closed"))
    }

    @Test func bodySplitAcrossReads_isCollectedAndAnswered() async throws {
        let channel = try await Self.makeChannel()
        var body = TestModels.jsonInferBody(id: "split")
        try await channel.writeInbound(Self.head("/v2/models/cls/infer", length: body.readableBytes))
        while body.readableBytes > 0 {
            // Uneven pieces, as TCP delivers them.
            let piece = body.readSlice(length: min(body.readableBytes, 7_001))!
            try await channel.writeInbound(HTTPRequestPart.body(piece))
        }
        try await channel.writeInbound(HTTPRequestPart.end(nil))
        let (head, text) = try await Self.response(channel)
        #expect(head.status == .ok)
        #expect(head.headerFields[.contentLength] == String(text.utf8.count))
        #expect(text.contains("\"id\":\"split\""))
        // Nothing reached the next handler: the request was served here.
        #expect(try await channel.readInbound(as: HTTPRequestPart.self) == nil)
        _ = try? await channel.finish()
    }

    @Test func pipelinedRequests_areAnsweredInOrder() async throws {
        let channel = try await Self.makeChannel()
        for id in ["one", "two", "three"] {
            let body = TestModels.jsonInferBody(id: id)
            try await channel.writeInbound(Self.head("/v2/models/cls/infer", length: body.readableBytes))
            try await channel.writeInbound(HTTPRequestPart.body(body))
            try await channel.writeInbound(HTTPRequestPart.end(nil))
        }
        for id in ["one", "two", "three"] {
            let (head, text) = try await Self.response(channel)
            #expect(head.status == .ok)
            #expect(text.contains("\"id\":\"\(id)\""), "\(text.prefix(80))")
        }
        _ = try? await channel.finish()
    }

    @Test func errorInTheBody_isAnsweredAndTheNextRequestServed() async throws {
        let channel = try await Self.makeChannel()
        let bad = ByteBuffer(string: "{\"inputs\": [")
        try await channel.writeInbound(Self.head("/v2/models/cls/infer", length: bad.readableBytes))
        try await channel.writeInbound(HTTPRequestPart.body(bad))
        try await channel.writeInbound(HTTPRequestPart.end(nil))
        let good = TestModels.jsonInferBody(id: "after")
        try await channel.writeInbound(Self.head("/v2/models/nope/infer", length: good.readableBytes))
        try await channel.writeInbound(HTTPRequestPart.body(good))
        try await channel.writeInbound(HTTPRequestPart.end(nil))
        try await channel.writeInbound(Self.head("/v2/models/cls/infer", length: good.readableBytes))
        try await channel.writeInbound(HTTPRequestPart.body(good))
        try await channel.writeInbound(HTTPRequestPart.end(nil))
        let (first, firstText) = try await Self.response(channel)
        #expect(first.status == .badRequest)
        #expect(firstText.contains("\"error\""))
        #expect(try await Self.response(channel).0.status == .notFound)
        let (third, thirdText) = try await Self.response(channel)
        #expect(third.status == .ok)
        #expect(thirdText.contains("\"id\":\"after\""))
        _ = try? await channel.finish()
    }

    @Test func connectionClose_isLeftToHummingbird() async throws {
        let channel = try await Self.makeChannel()
        let body = TestModels.jsonInferBody()
        try await channel.writeInbound(
            Self.head("/v2/models/cls/infer", length: body.readableBytes, extra: [.connection: "close"]))
        try await channel.writeInbound(HTTPRequestPart.body(body))
        try await channel.writeInbound(HTTPRequestPart.end(nil))
        guard case .head(let passed) = try await channel.readInbound(as: HTTPRequestPart.self) else {
            throw Unexpected.part
        }
        #expect(passed.path == "/v2/models/cls/infer")
        #expect(try await channel.readOutbound(as: HTTPResponsePart.self) == nil)
        _ = try? await channel.finish()
    }

    @Test func peerGoneMidBody_writesNothingAndKeepsServing() async throws {
        let channel = try await Self.makeChannel()
        let body = TestModels.jsonInferBody()
        try await channel.writeInbound(Self.head("/v2/models/cls/infer", length: body.readableBytes))
        try await channel.writeInbound(HTTPRequestPart.body(body.getSlice(at: 0, length: 100)!))
        // The server asks to close (a graceful shutdown): held while the request is unfinished...
        let closed = channel.eventLoop.makePromise(of: Void.self)
        let done = ManagedAtomic(false)
        closed.futureResult.whenComplete { _ in done.store(true, ordering: .relaxed) }
        channel.pipeline.close(promise: closed)
        try await channel.testingEventLoop.executeInContext {}
        let closedEarly = done.load(ordering: .relaxed)
        #expect(!closedEarly)
        // ...until the peer goes away, which ends the request and completes the close.
        channel.pipeline.fireChannelInactive()
        try await closed.futureResult.get()
        #expect(try await channel.readOutbound(as: HTTPResponsePart.self) == nil)
        // The pipeline behind it still serves the next connection.
        let next = try await Self.makeChannel()
        try await next.writeInbound(Self.head("/v2/models/cls/infer", length: body.readableBytes))
        try await next.writeInbound(HTTPRequestPart.body(body))
        try await next.writeInbound(HTTPRequestPart.end(nil))
        #expect(try await Self.response(next).0.status == .ok)
        _ = try? await next.finish()
    }
}
