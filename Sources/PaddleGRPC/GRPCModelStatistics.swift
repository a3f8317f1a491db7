import KServeProtocol
import PaddleModelRepository
import PaddleServing

/// The `ModelStatistics` message of a model version: what `GET /v2/models/{m}/stats` reports, in Triton's
/// protobuf form.
enum GRPCModelStatistics {
    static func make(_ instance: ModelInstance) -> Inference_ModelStatistics {
        let stats = instance.statistics.snapshot
        func duration(_ tally: PaddleModelRepository.ModelStatistics.Tally) -> Inference_StatisticDuration {
            .with {
                $0.count = UInt64(max(tally.count, 0))
                $0.ns = UInt64(max(tally.nanoseconds, 0))
            }
        }
        return .with {
            $0.name = instance.key.name
            $0.version = String(instance.key.version)
            $0.lastInference = UInt64(max(stats.lastInferenceMilliseconds, 0))
            $0.inferenceCount = UInt64(max(stats.inferenceCount, 0))
            $0.executionCount = UInt64(max(stats.executionCount, 0))
            $0.inferenceStats = .with {
                $0.success = duration(stats.success)
                $0.fail = duration(stats.fail)
                $0.queue = duration(stats.queue)
                $0.computeInput = duration(stats.computeInput)
                $0.computeInfer = duration(stats.computeInfer)
                $0.computeOutput = duration(stats.computeOutput)
                $0.cacheHit = Inference_StatisticDuration()
                $0.cacheMiss = Inference_StatisticDuration()
            }
            $0.batchStats = stats.batches.sorted { $0.key < $1.key }.map { size, batch in
                .with {
                    $0.batchSize = UInt64(max(size, 0))
                    $0.computeInput = duration(batch.computeInput)
                    $0.computeInfer = duration(batch.computeInfer)
                    $0.computeOutput = duration(batch.computeOutput)
                }
            }
        }
    }
}
