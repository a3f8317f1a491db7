/// Zero-copy access to a predictor's outputs, valid only inside ``Predictor/run(_:transfer:withOutputs:)``.
///
/// Not copyable, and lent to the closure (`borrowing`): a view cannot be stored or returned, so it cannot outlive
/// the run whose buffers it reads.
public struct OutputViews: ~Copyable {
    let predictor: Predictor

    /// The output names, in the engine's order.
    public var names: [String] { predictor.outputs.map(\.name) }

    /// Shape and element type of output `name`.
    public func info(_ name: String) throws(PaddleError) -> (shape: [Int], dataType: DataType) {
        try checkName(name)
        return try predictor.ready().outputShape(name: name)
    }

    /// Calls `body` with the engine's own bytes of output `name` (no copy).
    public func withUnsafeBytes<Result>(
        _ name: String, _ body: (UnsafeRawBufferPointer) throws -> Result
    ) throws -> Result {
        try checkName(name)
        return try body(try predictor.ready().outputView(name: name).bytes)
    }

    /// Calls `body` with output `name` typed as `Element` (no copy).
    ///
    /// - Throws: ``PaddleError/Code/dtypeMismatch`` when `Element` is not the output's type.
    public func withUnsafeBufferPointer<Element: TensorElement, Result>(
        _ name: String, as type: Element.Type, _ body: (UnsafeBufferPointer<Element>) throws -> Result
    ) throws -> Result {
        try checkName(name)
        let (_, dataType, bytes) = try predictor.ready().outputView(name: name)
        guard dataType == Element.dataType else {
            throw PaddleError(.dtypeMismatch, "output \(name) holds \(dataType), \(Element.dataType) requested")
        }
        return try body(bytes.assumingMemoryBound(to: Element.self))
    }

    /// A copy of output `name`.
    public func copy(_ name: String) throws(PaddleError) -> Tensor {
        try predictor.copyOutput(name)
    }

    private func checkName(_ name: String) throws(PaddleError) {
        guard names.contains(name) else {
            throw PaddleError(.unknownName, "the model has no output \(name) (outputs: \(names.joined(separator: ", ")))")
        }
    }
}
