import KServeProtocol
import NIOCore
import NIOHTTPTypes
import PaddleModelRepository

/// Delays a connection's full close until the writes queued before it have reached the socket.
///
/// Hummingbird closes a connection right after queuing the end of a response when the connection must not be
/// kept (a graceful shutdown, or `Connection: close`). NIO fails writes still pending at close, so a large
/// response (megabytes of binary tensor data) would be cut off mid-body. This handler sits between the HTTP
/// codec and Hummingbird's connection handler, counts responses whose end has not reached the socket yet, and
/// holds a `close(mode: .all)` until they have. Writes complete in order, so a response's end completing means
/// all of it was written; only the end part gets a completion callback (one per response, not one per part).
///
/// Not thread-safe, like every channel handler: used only on its channel's event loop.
final class FlushBeforeCloseHandler: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private var pendingWrites = 0
    private var heldClose: (mode: CloseMode, promise: EventLoopPromise<Void>?)?

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .end = unwrapOutboundIn(data) else {
            context.write(data, promise: promise)
            return
        }
        pendingWrites += 1
        let completion = context.eventLoop.makePromise(of: Void.self)
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        completion.futureResult.whenComplete { result in
            let (handler, context) = bound.value
            handler.writeCompleted(context: context)
            promise?.completeWith(result)
        }
        context.write(data, promise: completion)
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard mode == .all, pendingWrites > 0, heldClose == nil else {
            context.close(mode: mode, promise: promise)
            return
        }
        heldClose = (mode, promise)
        context.flush()
    }

    private func writeCompleted(context: ChannelHandlerContext) {
        pendingWrites -= 1
        if pendingWrites == 0, let held = heldClose {
            heldClose = nil
            context.close(mode: held.mode, promise: held.promise)
        }
    }
}
