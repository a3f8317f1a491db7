import Foundation
import GRPCCore
import HTTPTypes
import PaddleInference
import Testing

@testable import KServeProtocol
@testable import PaddleGRPC
@testable import PaddleModelRepository
@testable import PaddleServing

@Suite struct GRPCDecodingTests {
    private func request(
        datatype: String, shape: [Int64], raw: Data? = nil, contents: (inout Inference_InferTensorContents) -> Void = { _ in }
    ) -> Inference_ModelInferRequest {
        .with { message in
            message.modelName = "m"
            message.id = "req-1"
            message.inputs = [
                .with {
                    $0.name = "x"
                    $0.datatype = datatype
                    $0.shape = shape
                    contents(&$0.contents)
                }
            ]
            if let raw { message.rawInputContents = [raw] }
        }
    }

    @Test func decode_rawFP32_copiesTheBytes() throws {
        let values: [Float] = [1.5, -2, 3.25, 0]
        let raw = values.withUnsafeBytes { Data($0) }
        let decoded = try InferenceRequest.decode(
            request(datatype: "FP32", shape: [2, 2], raw: raw), callTimeout: nil, limits: DecodingLimits())
        #expect(decoded.id == "req-1")
        let tensor = try #require(decoded.inputs.first?.tensor)
        #expect(tensor.shape == [2, 2] && tensor.dataType == .float32)
        #expect(tensor.withUnsafeBytes { Data($0) } == raw)
    }

    @Test func decode_typedInt8_narrowsIntContents_andRejectsOutOfRange() throws {
        let decoded = try InferenceRequest.decode(
            request(datatype: "INT8", shape: [3]) { $0.intContents = [-128, 0, 127] }, callTimeout: nil,
            limits: DecodingLimits())
        let tensor = try #require(decoded.inputs.first?.tensor)
        #expect(tensor.withUnsafeBytes { Array($0) } == [0x80, 0, 0x7F])
        #expect(throws: ServingError.self) {
            try InferenceRequest.decode(
                request(datatype: "INT8", shape: [1]) { $0.intContents = [300] }, callTimeout: nil, limits: DecodingLimits())
        }
    }

    @Test func decode_wrongSizesAndFields_throwBadRequest() {
        let cases: [Inference_ModelInferRequest] = [
            request(datatype: "FP32", shape: [2], raw: Data(count: 4)),  // 8 bytes needed
            request(datatype: "FP32", shape: [2]) { $0.fp32Contents = [1] },  // 2 values needed
            request(datatype: "FP32", shape: [1]) { $0.int64Contents = [1] },  // wrong field
            request(datatype: "FP16", shape: [1]) { $0.fp32Contents = [1] },  // FP16 only travels raw
            request(datatype: "BYTES", shape: [1], raw: Data(count: 5)),
            request(datatype: "FP32", shape: [-1], raw: Data()),
            request(datatype: "FP32", shape: [1]),  // no data at all
        ]
        for message in cases {
            do {
                _ = try InferenceRequest.decode(message, callTimeout: nil, limits: DecodingLimits())
                Issue.record("decoded \(message.inputs[0])")
            } catch {
                #expect(error.status == .badRequest)
                #expect(error.rpcCode == .invalidArgument)
            }
        }
    }

    @Test func decode_timeoutParameterAndCallDeadline_takeTheEarlier() throws {
        var message = request(datatype: "BOOL", shape: [1]) { $0.boolContents = [true] }
        message.parameters["timeout"] = .with { $0.int64Param = 5_000 }
        let fromParameter = try InferenceRequest.decode(message, callTimeout: .seconds(1), limits: DecodingLimits())
        #expect(fromParameter.timeoutMicroseconds == 5_000)
        let fromCall = try InferenceRequest.decode(message, callTimeout: .milliseconds(2), limits: DecodingLimits())
        #expect(fromCall.timeoutMicroseconds == 2_000)
    }

    @Test func parseTimeout_readsEveryUnit_andRejectsJunk() {
        #expect(GRPCRequestMetadata.parseTimeout("2S") == .seconds(2))
        #expect(GRPCRequestMetadata.parseTimeout("1500m") == .milliseconds(1500))
        #expect(GRPCRequestMetadata.parseTimeout("7u") == .microseconds(7))
        #expect(GRPCRequestMetadata.parseTimeout("3H") == .seconds(3 * 3600))
        #expect(GRPCRequestMetadata.parseTimeout("S") == nil)
        #expect(GRPCRequestMetadata.parseTimeout("123456789S") == nil)
        #expect(GRPCRequestMetadata.parseTimeout("5x") == nil)
    }

    @Test func rpcCode_mapsEachServingError() {
        #expect(ServingError.badRequest("x").rpcCode == .invalidArgument)
        #expect(ServingError.notFound("x").rpcCode == .notFound)
        #expect(ServingError.unavailable("x").rpcCode == .unavailable)
        #expect(ServingError.rateLimited(model: "m", retryAfter: 1).rpcCode == .resourceExhausted)
        #expect(ServingError.tooLarge(limit: 1).rpcCode == .resourceExhausted)
        #expect(ServingError(.unauthorized, "x").rpcCode == .unauthenticated)
        #expect(ServingError(.forbidden, "x").rpcCode == .permissionDenied)
        #expect(ServingError.internalError.rpcCode == .internalError)
        #expect(ServingError(PaddleError(.timedOut, "late")).rpcCode == .deadlineExceeded)
        #expect(ServingError(PaddleError(.timedOut, "late")).status == .serviceUnavailable)
    }
}
