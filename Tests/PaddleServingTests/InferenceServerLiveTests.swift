import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PaddleTestSupport
import Testing

@testable import KServeProtocol
@testable import PaddleModelRepository
@testable import PaddleServing

/// The protocol over real HTTP on a loopback port chosen by the system.
@Suite struct InferenceServerLiveTests {
    @Test func liveServer_everyEndpointClass_answersWithTheRightStatus() async throws {
        let server = try await TestModels.shared.value
        var configuration = ServingConfiguration(port: 0)
        configuration.maxBodyBytes = 1 << 20
        let live = InferenceServer(repository: server.repository, configuration: configuration)
        live.state.markStarted()
        let app = live.makeApplication()
        try await app.test(.live) { client in
            let cases: [(String, HTTPRequest.Method, ByteBuffer?, HTTPResponse.Status)] = [
                ("/v2/health/live", .get, nil, .ok),
                ("/v2/health/ready", .get, nil, .ok),
                ("/v2", .get, nil, .ok),
                ("/v2/models/cls", .get, nil, .ok),
                ("/v2/models/cls/versions/1/ready", .get, nil, .ok),
                ("/v2/models/cls/config", .get, nil, .ok),
                ("/v2/models/cls/stats", .get, nil, .ok),
                ("/v2/models/stats", .get, nil, .ok),
                ("/v2/repository/index", .post, nil, .ok),
                ("/metrics", .get, nil, .ok),
                ("/v2/models/cls/infer", .post, TestModels.jsonInferBody(), .ok),
                ("/v2/models/nope/infer", .post, TestModels.jsonInferBody(), .notFound),
                ("/v2/models/cls/infer", .post, ByteBuffer(string: "{"), .badRequest),
                ("/v2/models/cls/infer", .post, ByteBuffer(repeating: 0x20, count: 2 << 20), .contentTooLarge),
            ]
            for (uri, method, body, status) in cases {
                try await client.execute(uri: uri, method: method, body: body) { response in
                    #expect(response.status == status, "\(method) \(uri)")
                    #expect(response.headers[HTTPField.Name("X-Request-ID")!] != nil)
                }
            }
        }
    }

    /// Requests pipelined on one connection: inference served on the event loop, a route served by Hummingbird and
    /// an error answer in the order sent.
    @Test func liveServer_pipelinedRequests_answerInOrder() async throws {
        let server = try await TestModels.shared.value
        let live = InferenceServer(repository: server.repository, configuration: ServingConfiguration(port: 0))
        live.state.markStarted()
        try await live.makeApplication().test(.live) { client in
            let port = try #require(client.port)
            func infer(_ id: String, version: String = "") -> String {
                let body = String(buffer: TestModels.jsonInferBody(id: id))
                return "POST /v2/models/cls\(version)/infer HTTP/1.1\r\nHost: t\r\nContent-Length: \(body.utf8.count)\r\n\r\n"
                    + body
            }
            let text = infer("a") + "GET /v2/health/live HTTP/1.1\r\nHost: t\r\n\r\n" + infer("b", version: "/versions/1")
                + "POST /v2/models/nope/infer HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\n{}" + infer("c")
            let replies = try await RawHTTP.exchange(port: port, send: text, responses: 5)
            #expect(replies.map(\.status) == [200, 200, 200, 404, 200])
            #expect(replies[0].body.contains("\"id\":\"a\""))
            #expect(replies[2].body.contains("\"id\":\"b\""))
            #expect(replies[4].body.contains("\"id\":\"c\""))
        }
    }
}

/// A blocking HTTP/1.1 client over a POSIX socket, for what URLSession-style clients do not do (pipelining).
enum RawHTTP {
    struct Reply {
        var status: Int
        var body: String
    }

    /// Connects to 127.0.0.1:`port`, writes `send` at once, and reads `responses` responses (Content-Length bodies).
    ///
    /// The socket calls block, so they run on a Dispatch thread: on a cooperative thread they could take the
    /// threads the in-process server's connection tasks need (2 on a 2-core machine) and stall both sides.
    static func exchange(port: Int, send: String, responses: Int) async throws -> [Reply] {
        try await BlockingWork.offload { try blockingExchange(port: port, send: send, responses: responses) }
    }

    private static func blockingExchange(port: Int, send: String, responses: Int) throws -> [Reply] {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
        var timeout = timeval(tv_sec: 120, tv_usec: 0)  // generous: a bound on a stall, not a speed target
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let bytes = Array(send.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { throw POSIXError(.EIO) }
            sent += n
        }
        var buffer: [UInt8] = []
        var replies: [Reply] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while replies.count < responses {
            if let (reply, used) = parse(buffer) {
                replies.append(reply)
                buffer.removeFirst(used)
                continue
            }
            let n = read(fd, &chunk, chunk.count)
            guard n > 0 else { throw POSIXError(.ECONNRESET) }
            buffer += chunk[0..<n]
        }
        return replies
    }

    /// One complete response at the start of `bytes`, and how many bytes it took.
    private static func parse(_ bytes: [UInt8]) -> (Reply, Int)? {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard bytes.count >= 4, let end = (0...(bytes.count - 4)).first(where: { Array(bytes[$0..<($0 + 4)]) == separator })
        else { return nil }
        let head = String(decoding: bytes[0..<end], as: UTF8.self)
        let lines = head.components(separatedBy: "\r\n")
        let status = Int(lines[0].split(separator: " ")[1]) ?? 0
        var length = 0
        for line in lines.dropFirst() where line.lowercased().hasPrefix("content-length:") {
            length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) ?? 0
        }
        guard bytes.count >= end + 4 + length else { return nil }
        let body = String(decoding: bytes[(end + 4)..<(end + 4 + length)], as: UTF8.self)
        return (Reply(status: status, body: body), end + 4 + length)
    }
}
