import HummingbirdCore
import HummingbirdHTTP2
import Logging
import NIOCore
import NIOTLS

/// The HTTP port's connections: HTTP/1.1 as before, and HTTP/2 with prior knowledge (h2c, `curl
/// --http2-prior-knowledge`) on the same port.
///
/// Without TLS there is no ALPN to choose the protocol, so ``HTTPPrefaceDetector`` reads a connection's first bytes:
/// HTTP/2's connection preface picks HTTP/2, anything else HTTP/1.1. It reports the choice to NIO's protocol
/// negotiation handler as a TLS handshake would, so Hummingbird's own channels set the connection up:
/// `HTTP1Channel` (with the fast infer path) or `HTTP2Channel`, whose streams are served by the router. Once the
/// choice is made both helpers leave the pipeline, so an HTTP/1.1 connection runs the same handlers as a server
/// without h2c.
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
                case .negotiated(HTTPPrefaceDetector.http2):
                    http2.setup(channel: channel, logger: logger).map { .http2($0) }
                default:
                    http1.setup(channel: channel, logger: logger).map { .http1($0) }
                }
            }
            try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(HTTPPrefaceDetector()))
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
