import Foundation
import HTTPTypes
import Hummingbird
import KServeProtocol
import NIOCore
import NIOHTTPTypes
import PaddleModelRepository

/// Serves `POST /v2/models/{m}[/versions/{v}]/infer` on the connection's event loop, in front of Hummingbird.
///
/// Through Hummingbird a request crosses to a Swift task (body, routing, middleware), from there to a pool
/// thread, back to the task, and back to the event loop to be written. For models whose runs take microseconds
/// those hand-offs cost more than the run. This handler takes plain inference requests itself: it collects the
/// body on the event loop, hands the request to a pool thread (``InferencePipeline``), and writes the reply from
/// the event loop when the pool thread passes it back, so a request touches two threads instead of four.
///
/// Everything else passes through untouched to Hummingbird: other routes, compressed request bodies, bodies
/// without `Content-Length` or over the size limit, `Expect`, `Connection: close`, percent-encoded paths, and
/// any request that arrives while Hummingbird is still answering an earlier one on the connection. Requests
/// pipelined behind a request served here wait until its reply is written, so replies keep their order. A close
/// asked for while a request is being served here waits for its reply (a graceful shutdown drains it); a peer
/// that goes away mid-body ends the request.
///
/// Not thread-safe, like every channel handler: used only on its channel's event loop.
final class FastInferHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private enum State {
        /// Not serving a request here.
        case idle
        /// Collecting the body of a request served here.
        case collecting(name: String, version: String?, headers: HTTPFields, body: ByteBuffer)
        /// The request is running; its reply has not been written yet.
        case running
    }

    private let pipeline: InferencePipeline
    private let serverName: String
    private var state = State.idle
    /// Requests passed to Hummingbird whose response has not ended yet.
    private var passedThrough = 0
    /// Inbound parts that arrived while a request was being served here, replayed after its reply.
    private var held: [HTTPRequestPart] = []
    /// A close asked for while a request was being served here, performed once its reply is written.
    private var heldClose: (mode: CloseMode, promises: [EventLoopPromise<Void>])?
    private var date = (second: 0, text: "")

    init(pipeline: InferencePipeline, serverName: String) {
        self.pipeline = pipeline
        self.serverName = serverName
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if case .running = state {
            held.append(part)
            return
        }
        if !held.isEmpty {
            held.append(part)
            return
        }
        read(part, context: context)
    }

    private func read(_ part: HTTPRequestPart, context: ChannelHandlerContext) {
        switch (state, part) {
        case (.idle, .head(let head)):
            if passedThrough == 0, let (name, version) = eligible(head) {
                let length = head.headerFields.firstValue(.contentLength).flatMap { Int($0) } ?? 0
                state = .collecting(
                    name: name, version: version, headers: head.headerFields,
                    body: context.channel.allocator.buffer(capacity: length))
            } else {
                passedThrough += 1
                context.fireChannelRead(wrapInboundOut(part))
            }
        case (.collecting(let name, let version, let headers, var body), .body(var chunk)):
            state = .running  // while mutating, so `body` is uniquely referenced
            body.writeBuffer(&chunk)
            state = .collecting(name: name, version: version, headers: headers, body: body)
        case (.collecting(let name, let version, let headers, let body), .end):
            state = .running
            run(name: name, version: version, headers: headers, body: body, context: context)
        case (.collecting, .head):
            // A head inside a body cannot come from the HTTP codec; let Hummingbird deal with the connection.
            state = .idle
            passedThrough += 1
            context.fireChannelRead(wrapInboundOut(part))
        default:
            context.fireChannelRead(wrapInboundOut(part))
        }
    }

    /// The model name and version of a request this handler serves, or `nil` to leave it to Hummingbird.
    private func eligible(_ head: HTTPRequest) -> (String, String?)? {
        guard head.method == .post, let path = head.path, let route = Self.inferRoute(path) else { return nil }
        let fields = head.headerFields
        guard let length = fields.firstValue(.contentLength).flatMap({ Int($0) }),
            length <= pipeline.configuration.maxBodyBytes,
            fields.firstValue(.contentEncoding) == nil, fields.firstValue(.transferEncoding) == nil,
            fields.firstValue(.expect) == nil
        else { return nil }
        if let connection = fields.firstValue(.connection), Self.containsClose(connection) { return nil }
        return route
    }

    /// The model name and optional version of `/v2/models/NAME[/versions/VERSION]/infer`, or nil for any other
    /// path (and for any path with `%` or `?`, which the router decodes). Works on the path's bytes: Foundation's
    /// `contains(_: StringProtocol)` cost about 2 µs per request here (bench/server/ab.sh, docs/benchmarks.md
    /// section 11).
    static func inferRoute(_ path: String) -> (String, String?)? {
        var path = path
        return path.withUTF8 { bytes -> (String, String?)? in
            let slash = UInt8(ascii: "/")
            var parts: [Range<Int>] = []
            var start = 0
            for index in bytes.indices {
                let byte = bytes[index]
                if byte == UInt8(ascii: "%") || byte == UInt8(ascii: "?") { return nil }
                if byte == slash {
                    parts.append(start..<index)
                    start = index + 1
                    if parts.count > 7 { return nil }
                }
            }
            parts.append(start..<bytes.count)
            // "", "v2", "models", name, ["versions", version,] "infer"
            func equals(_ range: Range<Int>, _ text: StaticString) -> Bool {
                range.count == text.utf8CodeUnitCount
                    && memcmp(bytes.baseAddress! + range.lowerBound, text.utf8Start, range.count) == 0
            }
            func string(_ range: Range<Int>) -> String { String(decoding: bytes[range], as: UTF8.self) }
            guard parts.count == 5 || parts.count == 7, parts[0].isEmpty, equals(parts[1], "v2"),
                equals(parts[2], "models"), equals(parts[parts.count - 1], "infer"), !parts[3].isEmpty
            else { return nil }
            if parts.count == 7 {
                guard equals(parts[4], "versions"), !parts[5].isEmpty else { return nil }
                return (string(parts[3]), string(parts[5]))
            }
            return (string(parts[3]), nil)
        }
    }

    /// Whether a `Connection` header value holds the token `close` (any case).
    static func containsClose(_ value: String) -> Bool {
        value.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces).lowercased() == "close" }
    }

    private func run(name: String, version: String?, headers: HTTPFields, body: ByteBuffer, context: ChannelHandlerContext) {
        let loop = context.eventLoop
        let bound = NIOLoopBound((self, context), eventLoop: loop)
        pipeline.handle(name: name, version: version, headers: headers, body: body) { reply in
            if loop.inEventLoop {
                let (handler, context) = bound.value
                handler.write(reply, context: context)
            } else {
                loop.execute {
                    let (handler, context) = bound.value
                    handler.write(reply, context: context)
                }
            }
        }
    }

    // MARK: Replies

    private func write(_ reply: InferencePipeline.Reply, context: ChannelHandlerContext) {
        guard case .running = state else { return }
        var headers = reply.headers
        headers[.contentLength] = String(reply.body.readableBytes)
        headers[.requestID] = RequestID().description
        headers[.date] = currentDate()
        headers[.server] = serverName
        context.write(wrapOutboundOut(.head(HTTPResponse(status: reply.status, headerFields: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(reply.body)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        state = .idle
        if let close = heldClose {
            heldClose = nil
            held.removeAll()
            let done = context.eventLoop.makePromise(of: Void.self)
            done.futureResult.whenComplete { result in
                for promise in close.promises { promise.completeWith(result) }
            }
            context.close(mode: close.mode, promise: done)
            return
        }
        // Replay what arrived meanwhile, until it starts another request served here. Hummingbird takes in parts
        // at the end of a read cycle, so one is signalled after any replay.
        guard !held.isEmpty else { return }
        while !held.isEmpty {
            if case .running = state { break }
            let part = held.removeFirst()
            read(part, context: context)
        }
        context.fireChannelReadComplete()
    }

    /// An HTTP date for the current second (formatted once a second per connection).
    private func currentDate() -> String {
        let now = time(nil)
        if Int(now) != date.second {
            var parts = tm()
            var seconds = now
            gmtime_r(&seconds, &parts)
            var buffer = [Int8](repeating: 0, count: 40)
            let count = strftime(&buffer, buffer.count, "%a, %d %b %Y %H:%M:%S GMT", &parts)
            date = (Int(now), String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return date.text
    }

    // MARK: Outbound (Hummingbird's responses and closes)

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data), passedThrough > 0 { passedThrough -= 1 }
        context.write(data, promise: promise)
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        if case .idle = state {
            context.close(mode: mode, promise: promise)
            return
        }
        // Collecting or running: the reply goes out first (Hummingbird sees the connection as idle and closes it
        // on a graceful shutdown, which must still drain a request whose body is arriving; the drain timeout
        // bounds a client that stalls). A peer that goes away ends the wait (channelInactive).
        if var close = heldClose {
            if mode == .all { close.mode = .all }
            if let promise { close.promises.append(promise) }
            heldClose = close
        } else {
            heldClose = (mode, promise.map { [$0] } ?? [])
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        held.removeAll()
        // The peer is gone: half a body will never be completed, and a reply could not be sent.
        if case .collecting = state { state = .idle }
        if let close = heldClose, case .idle = state {
            heldClose = nil
            context.close(mode: close.mode, promise: nil)
            for promise in close.promises { promise.succeed() }
        }
        context.fireChannelInactive()
    }
}

extension HTTPField.Name {
    static let date = HTTPField.Name("Date")!
}
