/// Runs the line batches of one image concurrently: up to `width` batches at a time (the model pool's size plus
/// one, so that the next batch's pre-processing overlaps the engine runs), results returned in batch order.
///
/// Each batch's tensor depends only on its own lines, so the results are the same as a sequential run's.
enum BatchRunner {
    static func map<Output: Sendable>(
        _ batches: [[Int]], width: Int, _ body: @escaping @Sendable ([Int]) async throws(OCRError) -> Output
    ) async throws(OCRError) -> [Output] {
        if batches.count <= 1 || width <= 1 {
            var outputs: [Output] = []
            for batch in batches { outputs.append(try await body(batch)) }
            return outputs
        }
        do {
            return try await withThrowingTaskGroup(of: (Int, Output).self) { group in
                var outputs = [Output?](repeating: nil, count: batches.count)
                var next = 0
                func add() {
                    let index = next, batch = batches[next]
                    group.addTask { (index, try await body(batch)) }
                    next += 1
                }
                while next < min(width, batches.count) { add() }
                while let (index, output) = try await group.next() {
                    outputs[index] = output
                    if next < batches.count { add() }
                }
                return outputs.map { $0! }
            }
        } catch let error as OCRError {
            throw error
        } catch {
            throw OCRError(.inference, "a line batch failed", underlying: error)
        }
    }

    /// `order` cut into consecutive batches of `size`.
    static func chunks(_ order: [Int], size: Int) -> [[Int]] {
        stride(from: 0, to: order.count, by: size).map { Array(order[$0..<min($0 + size, order.count)]) }
    }
}
