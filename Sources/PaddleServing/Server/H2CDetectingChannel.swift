import HummingbirdCore
import HummingbirdHTTP2
import Logging
import NIOCore
import NIOTLS

/// The HTTP port's connections: HTTP/1.1 as before, and HTTP/2 with prior knowledge (h2c, `curl
/// --http2-prior-knowledge`) on the same port.
///
/// Without TLS there is no ALPN to choose the protocol, so ``HTTPPrefaceSniffer`` reads a connection's first bytes:
/// HTTP/2's connection preface (`PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`) picks HTTP/2, anything else HTTP/1.1. It hands
/// the choice to NIO's protocol negotiation handler as the result a TLS handshake would give, so Hummingbird's own
/// channels set the connection up: `HTTP1Channel` (with the fast infer path) or `HTTP2Channel`, whose streams are
/// served by the router. Once the choice is made both helpers leave the pipeline: an HTTP/1.1 connection runs the
/// same handlers as a server without h2c.
struct H2CDetectingChannel: HTTPChannelHandler {
    /// The negotiated connection.
    enum Negotiated: Sendable {
        case http1(HTTP1Channel.Value)
        case http2(HTTP2Channel.Value)
    }

    struct Value: ServerChildChannelValue {
        let negotiated: EventLoopFuture<Negotiated>
        let channel: any Channel
    }

    private let http1: HTTP1Channel
    private let http2: HTTP2Channel

    var responder: Responder { http1.responder }

    /// - Parameters:
    ///   - http1: HTTP/1.1 connections' configuration (with the fast path's handlers).
    ///   - http2: HTTP/2 connections' configuration; each stream gets its `streamConfiguration`.
    init(responder: @escaping Responder, http1: HTTP1Channel.Configuration, http2: HTTP2Channel.Configuration) {
        self.http1 = HTTP1Channel(responder: responder, configuration: http1)
        self.http2 = HTTP2Channel(responder: responder, configuration: http2)
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let http1 = self.http1
        let http2 = self.http2
        return channel.eventLoop.makeCompletedFuture {
            let negotiation = NIOTypedApplicationProtocolNegotiationHandler<Negotiated> { result in
                switch result {
                case .negotiated("h2"):
                    http2.setup(channel: channel, logger: logger).map { .http2($0) }
                default:
                    http1.setup(channel: channel, logger: logger).map { .http1($0) }
                }
            }
            try channel.pipeline.syncOperations.addHandler(HTTPPrefaceSniffer())
            try channel.pipeline.syncOperations.addHandler(negotiation)
            return Value(negotiated: negotiation.protocolNegotiationResult, channel: channel)
        }
    }

    func handle(value: Value, logger: Logger) async {
        do {
            switch try await value.negotiated.get() {
            case .http1(let connection): await http1.handle(value: connection, logger: logger)
            case .http2(let connection): await http2.handle(value: connection, logger: logger)
            }
        } catch {
            logger.debug("connection closed before its protocol was known", metadata: ["error": "\(error)"])
        }
    }
}

/// Reads a connection's first bytes until they match or leave HTTP/2's connection preface, reports the protocol
/// as a TLS handshake would (`h2`, or no protocol for HTTP/1.1), passes the bytes on and leaves the pipeline.
///
/// An HTTP/1.1 request leaves the preface at its first byte unless its method is `PRI` (HTTP/2's reserved method,
/// which no route serves), so HTTP/1.1 waits for nothing. Not thread-safe, like every channel handler: used only
/// on its channel's event loop.
final class HTTPPrefaceSniffer: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)
    private var buffered: ByteBuffer?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        if var buffered {
            buffered.writeBuffer(&bytes)
            bytes = buffered
        }
        let seen = bytes.readableBytesView.prefix(Self.preface.count)
        guard seen.elementsEqual(Self.preface.prefix(seen.count)) else {
            decide(context: context, protocol: nil, bytes: bytes)
            return
        }
        if seen.count == Self.preface.count {
            decide(context: context, protocol: "h2", bytes: bytes)
        } else {
            buffered = bytes
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        // Too few bytes to tell: let the HTTP/1.1 codec see them (and answer or close as it does).
        if let buffered {
            self.buffered = nil
            decide(context: context, protocol: nil, bytes: buffered)
        }
        context.fireChannelInactive()
    }

    private func decide(context: ChannelHandlerContext, protocol name: String?, bytes: ByteBuffer) {
        buffered = nil
        context.fireUserInboundEventTriggered(TLSUserEvent.handshakeCompleted(negotiatedProtocol: name))
        context.fireChannelRead(wrapInboundOut(bytes))
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}
