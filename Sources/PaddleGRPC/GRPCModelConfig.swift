import KServeProtocol
import PaddleInference
import PaddleModelRepository
import PaddleServing

/// The `ModelConfig` message of a loaded model version: what `GET /v2/models/{m}/config` reports, in Triton's
/// protobuf form.
enum GRPCModelConfig {
    static func make(name: String, instance: ModelInstance) -> Inference_ModelConfig {
        let configuration = instance.configuration
        let maxBatchSize = configuration.maxBatchSize ?? 0
        // Triton leaves the batch dimension out of `dims` when the model batches (max_batch_size > 0).
        func dims(_ info: TensorInfo) -> [Int64] {
            let shape = maxBatchSize > 0 && !info.shape.isEmpty ? Array(info.shape.dropFirst()) : info.shape
            return shape.map(Int64.init)
        }
        var config = Inference_ModelConfig()
        config.name = name
        config.platform = "paddle_inference"
        config.backend = "paddle"
        config.maxBatchSize = Int32(clamping: maxBatchSize)
        config.input = instance.inputs.map { info in
            .with {
                $0.name = info.name
                $0.dataType = dataType(info.dataType)
                $0.dims = dims(info)
            }
        }
        config.output = instance.outputs.map { info in
            .with {
                $0.name = info.name
                $0.dataType = dataType(info.dataType)
                $0.dims = dims(info)
            }
        }
        config.instanceGroup = [
            .with {
                $0.name = name
                $0.kind = .cpu
                $0.count = Int32(clamping: instance.pool.size)
            }
        ]
        if let batching = configuration.dynamicBatching {
            config.dynamicBatching = .with {
                $0.preferredBatchSize = (batching.preferredBatchSizes ?? []).map { Int32(clamping: $0) }
                $0.maxQueueDelayMicroseconds = UInt64(max(batching.maxQueueDelayUs ?? 1000, 0))
            }
        }
        config.parameters = [
            "threads": .with { $0.stringValue = String(configuration.threads ?? 1) },
            "onednn": .with { $0.stringValue = String(instance.pool.config.resolvedOneDNN) },
        ]
        return config
    }

    /// Triton's configuration type for an engine type.
    static func dataType(_ type: DataType) -> Inference_DataType {
        switch type {
        case .float32: .typeFp32
        case .float64: .typeFp64
        case .float16: .typeFp16
        case .bfloat16: .typeBf16
        case .int64: .typeInt64
        case .int32: .typeInt32
        case .uint8: .typeUint8
        case .int8: .typeInt8
        case .bool: .typeBool
        }
    }
}
