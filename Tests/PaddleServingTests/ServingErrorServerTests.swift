import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PaddleTestSupport
import Testing

@testable import KServeProtocol
@testable import PaddleModelRepository
@testable import PaddleServing

/// Errors the server maps: a model that fails to load, and the HTTP framework's own errors.
@Suite struct ServingErrorServerTests {
    @Test func from_hummingbirdHTTPError_keepsItsStatus() {
        #expect(ServingError.from(HTTPError(.contentTooLarge)).status == .contentTooLarge)
    }

    @Test func repository_brokenModel_isFailedWithReasonAndLoadGives400() async throws {
        let folder = NSTemporaryDirectory() + "paddle-broken-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder + "/broken/1", withIntermediateDirectories: true)
        try Data("not a model".utf8).write(to: URL(fileURLWithPath: folder + "/broken/1/inference.pdmodel"))
        try Data("x".utf8).write(to: URL(fileURLWithPath: folder + "/broken/1/inference.pdiparams"))
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let repository = ModelRepository(root: folder, logger: logger)
        try await repository.loadAll()
        let entry = try #require(repository.index().first)
        #expect(entry.state.tritonName == "UNAVAILABLE")
        #expect(!entry.state.reason.isEmpty)
        let server = InferenceServer(repository: repository, logger: logger)
        server.state.markStarted()
        try await Application(router: server.makeRouter()).test(.router) { client in
            try await client.execute(uri: "/v2/models/broken/ready", method: .get) { #expect($0.status == .serviceUnavailable) }
            try await client.execute(uri: "/v2/models/broken/infer", method: .post, body: TestModels.jsonInferBody()) {
                #expect($0.status == .serviceUnavailable)
            }
            try await client.execute(uri: "/v2/repository/models/broken/load", method: .post) { response in
                #expect(response.status == .badRequest)
                #expect(response.body.json()["error"]?.stringValue?.contains("broken") == true)
            }
        }
    }
}
