/// The declared name, shape and element type of one model input or output.
public struct TensorInfo: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The engine's name for the tensor.
    public let name: String
    /// The declared shape; `-1` marks a dynamic dimension. Empty when the engine does not know it.
    public let shape: [Int]
    /// The element type.
    public let dataType: DataType

    /// Describes one tensor of a model.
    public init(name: String, shape: [Int], dataType: DataType) {
        self.name = name
        self.shape = shape
        self.dataType = dataType
    }

    /// `name: type [dims]`, with `?` for dynamic dimensions, for example `x: float32 [?, 3, ?, ?]`.
    public var description: String {
        "\(name): \(dataType) [\(shape.map { $0 < 0 ? "?" : String($0) }.joined(separator: ", "))]"
    }

    /// Checks that `tensor` fits this declaration (type, rank, every fixed dimension).
    func validate(_ tensor: Tensor) throws(PaddleError) {
        guard tensor.dataType == dataType else {
            throw PaddleError(.dtypeMismatch, "input \(name) expects \(dataType), \(tensor.dataType) given")
        }
        guard !shape.isEmpty else { return }
        guard tensor.shape.count == shape.count else {
            throw PaddleError(
                .shapeMismatch,
                "input \(name) expects rank \(shape.count) \(shapeText), shape \(tensor.shape) given")
        }
        for (axis, (expected, given)) in zip(shape, tensor.shape).enumerated() where expected >= 0 && expected != given {
            throw PaddleError(
                .shapeMismatch,
                "input \(name) expects dimension \(axis) to be \(expected) \(shapeText), shape \(tensor.shape) given")
        }
    }

    private var shapeText: String { "(shape [\(shape.map { $0 < 0 ? "-1" : String($0) }.joined(separator: ", "))])" }
}
