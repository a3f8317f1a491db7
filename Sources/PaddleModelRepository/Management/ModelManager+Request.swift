import HTTPTypes
import KServeProtocol

extension ModelManager {
    /// Takes a lease for an HTTP request: the version from the URL (`/versions/{v}`), else from the
    /// `x-model-version` header, else routed by weights with the model's sticky header (if configured and sent).
    ///
    /// - Throws: `ServingError` 404 for an unknown model or version, 503 when it is not ready.
    public func lease(model name: String, pathVersion: String?, headers: HTTPFields) throws(ServingError)
        -> ModelLease<Instance>
    {
        let version = pathVersion ?? headers[.modelVersion]
        let stickyKey = stickyHeader(model: name).flatMap { HTTPField.Name($0) }.flatMap { headers[$0] }
        return try lease(model: name, version: version, stickyKey: stickyKey)
    }
}

extension HTTPField.Name {
    /// The header that pins a request to a model version (``ModelManager/versionHeader``).
    static let modelVersion = HTTPField.Name("x-model-version")!
}
