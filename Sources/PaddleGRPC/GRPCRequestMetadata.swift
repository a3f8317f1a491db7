import GRPCCore
import HTTPTypes
import KServeProtocol
import PaddleModelRepository
import PaddleServing

/// What the serving stack reads from a gRPC call's metadata: the header fields HTTP would carry (the model version
/// pin `x-model-version` and a model's A/B sticky header), the `grpc-timeout` deadline, and the bearer token of the
/// repository RPCs (`authorization`).
struct GRPCRequestMetadata: Sendable {
    let metadata: Metadata

    /// The call's text metadata as HTTP header fields, for ``ModelRepository/lease(name:version:headers:)``.
    var headerFields: HTTPFields {
        var fields = HTTPFields()
        for (key, value) in metadata {
            guard case .string(let text) = value, !key.hasPrefix(":"), let name = HTTPField.Name(key) else { continue }
            fields.append(HTTPField(name: name, value: text))
        }
        return fields
    }

    /// The call's `grpc-timeout`, if it sent a valid one: up to 8 digits and a unit (H, M, S, m, u, n).
    var timeout: Duration? {
        guard let text = metadata[stringValues: "grpc-timeout"].first(where: { _ in true }) else { return nil }
        return Self.parseTimeout(text)
    }

    static func parseTimeout(_ text: String) -> Duration? {
        guard let unit = text.last, (2...9).contains(text.count) else { return nil }
        guard let amount = Int64(text.dropLast()), amount >= 0 else { return nil }
        switch unit {
        case "H": return .seconds(amount * 3600)
        case "M": return .seconds(amount * 60)
        case "S": return .seconds(amount)
        case "m": return .milliseconds(amount)
        case "u": return .microseconds(amount)
        case "n": return .nanoseconds(amount)
        default: return nil
        }
    }

    /// Checks the repository RPCs' bearer token with HTTP's rule (``BearerTokenMiddleware``): with a token, the
    /// call's `authorization` metadata must carry it; without one, the RPCs are open on a loopback address and off
    /// on any other.
    ///
    /// - Throws: `ServingError` 401 (`UNAUTHENTICATED`) or 403 (`PERMISSION_DENIED`).
    func authorizeRepositoryAccess(_ access: BearerTokenMiddleware<ServingContext>) throws(ServingError) {
        if let offReason = access.offReason { throw ServingError(.forbidden, offReason) }
        guard let token = access.token else { return }
        let given = metadata[stringValues: "authorization"].first(where: { _ in true })
        guard let given, BearerTokenMiddleware<ServingContext>.matches(header: given, token: token) else {
            throw ServingError(.unauthorized, "a valid bearer token is required for the repository API")
        }
    }
}
