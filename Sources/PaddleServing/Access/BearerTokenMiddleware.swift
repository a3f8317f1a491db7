import Foundation
import HTTPTypes
import Hummingbird
import KServeProtocol
import PaddleModelRepository

/// Requires `Authorization: Bearer <token>` on the routes it protects (by default the repository API,
/// `/v2/repository/...`), and answers 401 otherwise.
///
/// The comparison takes the same time wherever the given token differs. The token is never logged.
/// A server that binds a non-loopback address without a token keeps the protected routes off: they answer 403,
/// while inference and health are served as usual (``init(host:token:protects:)``).
///
/// ```swift
/// router.add(middleware: BearerTokenMiddleware(host: configuration.host, token: configured))
/// ```
public struct BearerTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The token, or `nil` for no check (loopback-only servers without a configured token).
    public let token: String?
    /// Why the protected routes are turned off (they answer 403 whatever the request carries), or `nil`.
    public let offReason: String?
    /// Which request paths need the token.
    public let protects: @Sendable (String) -> Bool

    /// A middleware that asks for `token` on the paths `protects` accepts.
    ///
    /// - Parameters:
    ///   - token: The token to require; `nil` or empty lets every request through.
    ///   - protects: Whether a request path needs the token (default: the repository API).
    public init(token: String?, protects: @escaping @Sendable (String) -> Bool = Self.repositoryAPI) {
        self.token = token.flatMap { $0.isEmpty ? nil : $0 }
        self.offReason = nil
        self.protects = protects
    }

    /// The middleware of a server that binds `host`: with a token, the protected routes require it; without one,
    /// they are open on a loopback address and turned off (403) on any other, such as `0.0.0.0` in a container.
    ///
    /// - Parameters:
    ///   - host: The address the server binds.
    ///   - token: The configured token; `nil` or empty for none.
    ///   - protects: Whether a request path needs the token (default: the repository API).
    public init(host: String, token: String?, protects: @escaping @Sendable (String) -> Bool = Self.repositoryAPI) {
        let token = token.flatMap { $0.isEmpty ? nil : $0 }
        self.token = token
        self.offReason = token == nil && !Self.isLoopback(host: host)
            ? "the repository API is off: the server binds \(host), which is not a loopback address, and no token "
                + "is set (start it with --repository-token-file or PADDLE_SERVING_TOKEN to turn the API on)"
            : nil
        self.protects = protects
    }

    /// Whether the protected routes are turned off.
    public var isOff: Bool { offReason != nil }

    /// `/v2/repository` and everything below it.
    public static func repositoryAPI(_ path: String) -> Bool {
        path == "/v2/repository" || path.hasPrefix("/v2/repository/")
    }

    /// Lets the request through, or answers 401/403 for a protected path without the right token.
    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        if let offReason, protects(request.uri.path) { throw ServingError(.forbidden, offReason) }
        guard let token, protects(request.uri.path) else { return try await next(request, context) }
        guard let header = request.headers[.authorization], Self.matches(header: header, token: token) else {
            var headers = HTTPFields()
            headers[.wwwAuthenticate] = "Bearer realm=\"paddle-swift\""
            throw ServingError(.unauthorized, "a valid bearer token is required for the repository API", headers: headers)
        }
        return try await next(request, context)
    }

    /// Whether an `Authorization` header value carries `token` (scheme case-insensitive, constant-time compare).
    public static func matches(header: String, token: String) -> Bool {
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return false }
        let given = Array(parts[1].trimmingCharacters(in: .whitespaces).utf8)
        let expected = Array(token.utf8)
        var difference = UInt8(given.count == expected.count ? 0 : 1)
        for index in 0..<max(given.count, expected.count) {
            let a = index < given.count ? given[index] : 0
            let b = index < expected.count ? expected[index] : 0
            difference |= a ^ b
        }
        return difference == 0
    }

    /// The token a server binding `host` must use to offer the repository API: `token` as given, required
    /// (non-empty) when `host` is not a loopback address. (``InferenceServer`` no longer requires it: without a
    /// token, a non-loopback server turns the repository API off instead; see ``init(host:token:protects:)``.)
    ///
    /// - Throws: `ServingError` when `host` is not loopback and no token is configured.
    public static func requiredToken(host: String, token: String?) throws(ServingError) -> String? {
        let token = token.flatMap { $0.isEmpty ? nil : $0 }
        if token == nil && !isLoopback(host: host) {
            throw ServingError(
                .badRequest,
                "the server binds \(host), which is not a loopback address: set a repository API token "
                    + "(--repository-token-file or PADDLE_SERVING_TOKEN)")
        }
        return token
    }

    /// Whether `host` is a loopback address (`localhost`, `127.0.0.0/8`, `::1`).
    public static func isLoopback(host: String) -> Bool {
        var host = host.lowercased()
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host == "localhost" { return true }
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            return UInt32(bigEndian: v4.s_addr) >> 24 == 127
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 {
            let bytes = withUnsafeBytes(of: v6) { Array($0) }
            if bytes[0..<15].allSatisfy({ $0 == 0 }) && bytes[15] == 1 { return true }
            // IPv4-mapped loopback (::ffff:127.x.x.x).
            return bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF && bytes[12] == 127
        }
        return false
    }
}
