import NIOCore
import NIOTLS

/// Tells HTTP/2 with prior knowledge from HTTP/1.1 by a connection's first bytes, for ``H2CDetectingChannel``.
///
/// It buffers bytes until they either match HTTP/2's whole connection preface (`PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`)
/// or stop matching it, reports the protocol as a TLS handshake would (``http2``, or no protocol for HTTP/1.1),
/// and asks to leave the pipeline. As a `ByteToMessageDecoder` it hands every byte it holds on when it leaves,
/// including bytes that arrived between the decision and its removal, followed by a read-complete event so that the
/// next handlers (Hummingbird's async channel delivers reads on read-complete) see them at once. An HTTP/1.1
/// request stops matching at its first byte unless its method starts like `PRI` (HTTP/2's reserved method, which no
/// route serves), so HTTP/1.1 waits for nothing. Pipelined requests in one segment or byte by byte reach the
/// HTTP/1.1 codec whole and in order.
struct HTTPPrefaceDetector: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    /// The protocol name reported for HTTP/2 (ALPN's).
    static let http2 = "h2"
    /// HTTP/2's connection preface (RFC 9113, section 3.4).
    static let preface: [UInt8] = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    /// The protocol, once known: `.some(nil)` is HTTP/1.1.
    private(set) var decided: String??

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard decided == nil else { return .needMoreData }
        let seen = buffer.readableBytesView.prefix(Self.preface.count)
        if !seen.elementsEqual(Self.preface.prefix(seen.count)) {
            decide(nil, context: context)
        } else if seen.count == Self.preface.count {
            decide(Self.http2, context: context)
        }
        return .needMoreData
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws
        -> DecodingState
    {
        // On removal, and on end of input before a decision (the HTTP/1.1 codec then answers or closes as usual).
        if decided == nil { decide(nil, context: context) }
        if buffer.readableBytes > 0 {
            context.fireChannelRead(Self.wrapInboundOut(buffer.readSlice(length: buffer.readableBytes)!))
            context.fireChannelReadComplete()
        }
        return .needMoreData
    }

    private mutating func decide(_ name: String?, context: ChannelHandlerContext) {
        decided = .some(name)
        context.fireUserInboundEventTriggered(TLSUserEvent.handshakeCompleted(negotiatedProtocol: name))
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}
