import NIOCore
import NIOEmbedded
import NIOTLS
import Testing

@testable import PaddleServing

/// The h2c detector on an `EmbeddedChannel`: which protocol it reports, and that every byte reaches the next
/// handler once, in order, followed by a read-complete event.
@Suite struct HTTPPrefaceDetectorTests {
    /// What the handler after the detector saw.
    final class Recorder: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        enum Event: Equatable {
            case negotiated(String?)
            case bytes([UInt8])
            case readComplete
        }
        var events: [Event] = []

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if case .handshakeCompleted(let name) = event as? TLSUserEvent { events.append(.negotiated(name)) }
        }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            events.append(.bytes(Array(unwrapInboundIn(data).readableBytesView)))
        }
        func channelReadComplete(context: ChannelHandlerContext) {
            events.append(.readComplete)
        }

        /// Every byte read, joined.
        var bytes: [UInt8] {
            events.flatMap { event -> [UInt8] in
                guard case .bytes(let bytes) = event else { return [] }
                return bytes
            }
        }
        /// The protocols reported.
        var negotiated: [String?] {
            events.compactMap { event -> String?? in
                guard case .negotiated(let name) = event else { return nil }
                return .some(name)
            }
        }
    }

    /// A channel with the detector and a recorder, and the detector's handler (to check it left).
    private func makeChannel() throws -> (EmbeddedChannel, Recorder) {
        let channel = EmbeddedChannel()
        let recorder = Recorder()
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(HTTPPrefaceDetector()), name: "detector")
        try channel.pipeline.syncOperations.addHandler(recorder)
        return (channel, recorder)
    }

    private func send(_ channel: EmbeddedChannel, _ bytes: some Sequence<UInt8>) throws {
        try channel.writeInbound(ByteBuffer(bytes: Array(bytes)))
    }

    private func detectorLeft(_ channel: EmbeddedChannel) -> Bool {
        (try? channel.pipeline.syncOperations.context(name: "detector")) == nil
    }

    @Test func preface_inOneRead_reportsH2AndPassesEveryByte() throws {
        let (channel, recorder) = try makeChannel()
        let frames: [UInt8] = [0, 0, 0, 4, 0, 0, 0, 0, 0]  // an empty SETTINGS frame after the preface
        try send(channel, HTTPPrefaceDetector.preface + frames)
        #expect(recorder.bytes.isEmpty, "bytes pass on only after the protocol is set up")
        channel.embeddedEventLoop.run()
        #expect(recorder.negotiated == ["h2"])
        #expect(recorder.bytes == HTTPPrefaceDetector.preface + frames)
        #expect(recorder.events.last == .readComplete)
        #expect(detectorLeft(channel))
    }

    @Test func http1Request_decidesAtTheFirstByte() throws {
        let (channel, recorder) = try makeChannel()
        try send(channel, "G".utf8)
        #expect(recorder.negotiated == [nil])
        try send(channel, "ET /v2 HTTP/1.1\r\n\r\n".utf8)  // arrives before the removal runs
        channel.embeddedEventLoop.run()
        #expect(String(decoding: recorder.bytes, as: UTF8.self) == "GET /v2 HTTP/1.1\r\n\r\n")
        #expect(recorder.events.last == .readComplete)
        #expect(detectorLeft(channel))
        try send(channel, "GET /v2 HTTP/1.1\r\n\r\n".utf8)
        #expect(String(decoding: recorder.bytes, as: UTF8.self) == "GET /v2 HTTP/1.1\r\n\r\n".repeated(2))
    }

    @Test func preface_byteByByte_waitsForTheWholePreface() throws {
        let (channel, recorder) = try makeChannel()
        for byte in HTTPPrefaceDetector.preface.dropLast() {
            try send(channel, [byte])
            channel.embeddedEventLoop.run()
        }
        #expect(recorder.negotiated.isEmpty && recorder.bytes.isEmpty)
        try send(channel, [HTTPPrefaceDetector.preface.last!])
        channel.embeddedEventLoop.run()
        #expect(recorder.negotiated == ["h2"])
        #expect(recorder.bytes == HTTPPrefaceDetector.preface)
    }

    @Test func priMethodThatIsNotThePreface_isHTTP1() throws {
        let (channel, recorder) = try makeChannel()
        let request = Array("PRI * HTTP/1.1\r\n\r\n".utf8)
        try send(channel, request)
        channel.embeddedEventLoop.run()
        #expect(recorder.negotiated == [nil])
        #expect(recorder.bytes == request)
    }

    @Test func pipelinedRequestsInOneRead_allPassInOrder() throws {
        let (channel, recorder) = try makeChannel()
        let requests = (0..<5).map { "GET /v2/health/live?n=\($0) HTTP/1.1\r\nHost: t\r\n\r\n" }.joined()
        try send(channel, requests.utf8)
        channel.embeddedEventLoop.run()
        #expect(recorder.negotiated == [nil])
        #expect(String(decoding: recorder.bytes, as: UTF8.self) == requests)
    }

    @Test func endOfInputBeforeADecision_passesTheBytesAsHTTP1() throws {
        let (channel, recorder) = try makeChannel()
        try send(channel, "PR".utf8)
        channel.pipeline.fireChannelInactive()
        channel.embeddedEventLoop.run()
        #expect(recorder.negotiated == [nil])
        #expect(recorder.bytes == Array("PR".utf8))
    }
}

extension String {
    fileprivate func repeated(_ count: Int) -> String { String(repeating: self, count: count) }
}
