import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PaddleInference
import Testing
@testable import PaddleServing

@Suite struct ServingErrorTests {
    @Test func init_paddleErrors_mapToTritonStatusesWithoutLeakingInternals() {
        let cases: [(PaddleError.Code, Int)] = [
            (.unknownName, 400), (.shapeMismatch, 400), (.dtypeMismatch, 400), (.invalidArgument, 400),
            (.overloaded, 503), (.timedOut, 503), (.shutdown, 503), (.cancelled, 503), (.modelFile, 503),
            (.runtimeLoad, 503), (.engineFailure, 500), (.invalidState, 503),
        ]
        for (code, status) in cases {
            let error = ServingError(PaddleError(code, "secret internal text", engineMessage: "C++ Traceback"))
            #expect(error.status.code == status, "\(code)")
            if status != 400 { #expect(!error.message.contains("secret"), "\(code)") }
        }
        #expect(ServingError.from(CancellationError()).status == .internalServerError)
        #expect(ServingError.from(CancellationError()).message == "internal server error")
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
