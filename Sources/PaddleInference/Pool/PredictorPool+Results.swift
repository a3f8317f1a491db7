import DequeModule

extension PredictorPool {
    /// Runs the model on every element of `inputs` and yields the results in input order, with at most
    /// `maxInFlight` runs submitted at a time (the pool's batch pipeline, like Paddle's `RunAsync`).
    ///
    /// The sequence is lazy: nothing runs until it is iterated, and it reads ahead at most `maxInFlight` inputs.
    /// If a run fails, iteration throws that error, the remaining runs are cancelled and the sequence ends.
    /// Stopping early (breaking out of the loop, or cancelling the consuming task) cancels the runs still waiting.
    ///
    /// ```swift
    /// for try await outputs in pool.results(for: inputStream, maxInFlight: 8) { ... }
    /// ```
    ///
    /// - Parameters:
    ///   - inputs: The inputs, one model call each.
    ///   - outputs: The outputs to return for every run; `nil` for all.
    ///   - maxInFlight: Runs submitted at a time; `nil` for twice the pool size. Keep it at or below the queue
    ///     capacity plus the pool size, or runs fail with `.overloaded`.
    public func results<Inputs: AsyncSequence>(
        for inputs: Inputs, outputs: [String]? = nil, maxInFlight: Int? = nil
    ) -> PoolResults<Inputs> where Inputs.Element == [String: Tensor] {
        PoolResults(pool: self, inputs: inputs, outputs: outputs, maxInFlight: max(1, maxInFlight ?? 2 * size))
    }
}

/// The results of ``PredictorPool/results(for:outputs:maxInFlight:)``, in input order.
public struct PoolResults<Inputs: AsyncSequence>: AsyncSequence where Inputs.Element == [String: Tensor] {
    /// One run's outputs by name.
    public typealias Element = [String: Tensor]

    let pool: PredictorPool
    let inputs: Inputs
    let outputs: [String]?
    let maxInFlight: Int

    /// Starts pulling inputs; runs begin as the iterator is first asked for a result.
    public func makeAsyncIterator() -> Iterator {
        Iterator(pool: pool, inputs: inputs.makeAsyncIterator(), outputs: outputs, maxInFlight: maxInFlight)
    }

    /// Pulls inputs ahead, keeps up to `maxInFlight` runs going, and returns their results in order.
    public struct Iterator: AsyncIteratorProtocol {
        let pool: PredictorPool
        var inputs: Inputs.AsyncIterator?
        let outputs: [String]?
        let maxInFlight: Int
        let inFlight = InFlightRuns()

        /// The next input's outputs, in input order; `nil` once the inputs are exhausted.
        ///
        /// - Throws: The first error of the inputs or of a run; the runs still in flight are then cancelled.
        public mutating func next() async throws -> [String: Tensor]? {
            while inFlight.tasks.count < maxInFlight, var source = inputs {
                let input: [String: Tensor]?
                do {
                    input = try await source.next()
                } catch {
                    inputs = nil
                    inFlight.cancelAll()
                    throw error
                }
                guard let input else {
                    inputs = nil
                    break
                }
                inputs = source
                let pool = self.pool, outputs = self.outputs
                inFlight.tasks.append(Task { try await pool.run(input, outputs: outputs) })
            }
            guard let first = inFlight.tasks.popFirst() else { return nil }
            do {
                return try await withTaskCancellationHandler {
                    try await first.value
                } onCancel: {
                    first.cancel()
                }
            } catch {
                inputs = nil
                inFlight.cancelAll()
                throw error
            }
        }
    }

    /// The submitted runs of one iterator; cancels those still pending when the iterator goes away.
    final class InFlightRuns {
        var tasks: Deque<Task<[String: Tensor], any Error>> = []

        func cancelAll() {
            for task in tasks { task.cancel() }
            tasks.removeAll()
        }

        deinit {
            for task in tasks { task.cancel() }
        }
    }
}
