import Foundation
import PaddleInference
import PaddleTestSupport
import Testing

@testable import KServeProtocol

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
    }
}
