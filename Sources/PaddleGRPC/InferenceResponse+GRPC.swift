import Foundation
import KServeProtocol
import PaddleInference
import PaddleModelRepository
import PaddleServing

extension InferenceResponse {
    /// The `ModelInferResponse` of this answer. Every output travels in `raw_output_contents` (one entry per
    /// output, in order, little-endian), as Triton's gRPC server sends them and tritonclient reads them.
    var grpcMessage: Inference_ModelInferResponse {
        var message = Inference_ModelInferResponse()
        message.modelName = modelName
        message.modelVersion = modelVersion
        message.id = id ?? ""
        message.outputs.reserveCapacity(outputs.count)
        message.rawOutputContents.reserveCapacity(outputs.count)
        for output in outputs {
            var tensor = Inference_ModelInferResponse.InferOutputTensor()
            tensor.name = output.name
            tensor.datatype = output.tensor.dataType.kserveName
            tensor.shape = output.tensor.shape.map(Int64.init)
            message.outputs.append(tensor)
            message.rawOutputContents.append(output.tensor.withUnsafeBytes { Data($0) })
        }
        return message
    }
}
