/// An n-dimensional array of one ``DataType``: the inputs and outputs of a ``Predictor``.
///
/// A tensor is an immutable value that owns (or keeps alive) its bytes, so it can be shared across tasks and
/// handed to the engine without a copy: while ``Predictor/run(_:outputs:transfer:)`` runs, the engine reads the
/// tensor's bytes in place, and the tensor outlives the run.
///
/// ```swift
/// let x = try Tensor(shape: [1, 3, 48, 320], scalars: pixels)   // [Float]
/// let outputs = try predictor.run(["x": x])
/// let probabilities: [Float] = try outputs["softmax_11.tmp_0"]!.scalars()
/// ```
public struct Tensor: Sendable {
    /// The dimensions, outermost first. Every entry is >= 0.
    public let shape: [Int]
    /// The element type.
    public let dataType: DataType
    let storage: TensorStorage

    /// The number of elements (the product of ``shape``; 1 for a scalar of rank 0).
    public var elementCount: Int { shape.reduce(1, *) }
    /// The number of bytes of element data.
    public var byteCount: Int { storage.byteCount }

    /// Checks a shape and returns its element count.
    static func elementCount(of shape: [Int]) throws(PaddleError) -> Int {
        var count = 1
        for dimension in shape {
            guard dimension >= 0 else {
                throw PaddleError(.invalidArgument, "shape \(shape) has a negative dimension")
            }
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow, product <= Int(Int32.max) else {
                throw PaddleError(.invalidArgument, "shape \(shape) has too many elements")
            }
            count = product
        }
        return count
    }

    /// Creates a tensor whose bytes `initialize` writes (exactly `elementCount * dataType.byteSize` of them).
    public init(
        shape: [Int], dataType: DataType, initializingWith initialize: (UnsafeMutableRawBufferPointer) throws -> Void
    ) throws {
        let count = try Self.elementCount(of: shape)
        self.shape = shape
        self.dataType = dataType
        self.storage = try TensorStorage(byteCount: count * dataType.byteSize, initialize: initialize)
    }

    /// Creates a tensor by copying `scalars`, whose count must equal the product of `shape`.
    ///
    /// - Throws: ``PaddleError/Code/shapeMismatch`` when the counts differ.
    public init<Element: TensorElement>(shape: [Int], scalars: [Element]) throws(PaddleError) {
        let count = try Self.elementCount(of: shape)
        guard count == scalars.count else {
            throw PaddleError(
                .shapeMismatch, "shape \(shape) needs \(count) elements, \(scalars.count) given")
        }
        self.shape = shape
        self.dataType = Element.dataType
        self.storage = scalars.withUnsafeBytes { source in
            TensorStorage(byteCount: source.count) { $0.copyMemory(from: source) }
        }
    }

    /// Creates a tensor by copying raw bytes laid out as `dataType` elements in row-major order.
    ///
    /// - Throws: ``PaddleError/Code/shapeMismatch`` when the byte count does not fit the shape.
    public init(shape: [Int], dataType: DataType, bytes: UnsafeRawBufferPointer) throws(PaddleError) {
        let count = try Self.elementCount(of: shape)
        guard count * dataType.byteSize == bytes.count else {
            throw PaddleError(
                .shapeMismatch,
                "shape \(shape) of \(dataType) needs \(count * dataType.byteSize) bytes, \(bytes.count) given")
        }
        self.shape = shape
        self.dataType = dataType
        self.storage = TensorStorage(byteCount: bytes.count) { $0.copyMemory(from: bytes) }
    }

    /// Wraps caller memory without copying it (zero copy).
    ///
    /// The memory must stay valid and unchanged for as long as this tensor or any copy of it exists;
    /// `deallocator` runs once when the last copy is gone (pass `nil` if the caller frees the memory itself
    /// after every copy of the tensor is gone).
    ///
    /// - Throws: ``PaddleError/Code/shapeMismatch`` when the byte count does not fit the shape.
    public init(
        shape: [Int], dataType: DataType, unsafeNoCopy bytes: UnsafeRawBufferPointer,
        deallocator: (@Sendable (UnsafeMutableRawPointer) -> Void)?
    ) throws(PaddleError) {
        let count = try Self.elementCount(of: shape)
        guard count * dataType.byteSize == bytes.count else {
            throw PaddleError(
                .shapeMismatch,
                "shape \(shape) of \(dataType) needs \(count * dataType.byteSize) bytes, \(bytes.count) given")
        }
        guard let base = bytes.baseAddress ?? (count == 0 ? UnsafeRawPointer(bitPattern: 64) : nil) else {
            throw PaddleError(.invalidArgument, "no memory given for a tensor of \(count) elements")
        }
        self.shape = shape
        self.dataType = dataType
        self.storage = TensorStorage(adopting: base, byteCount: bytes.count, release: deallocator)
    }

    /// Copies the elements out as `[Element]`.
    ///
    /// - Throws: ``PaddleError/Code/dtypeMismatch`` when `Element` is not this tensor's type.
    public func scalars<Element: TensorElement>(as type: Element.Type = Element.self) throws(PaddleError) -> [Element] {
        guard Element.dataType == dataType else {
            throw PaddleError(.dtypeMismatch, "tensor holds \(dataType), \(Element.dataType) requested")
        }
        let bytes = storage.bytes
        return [Element](unsafeUninitializedCapacity: elementCount) { buffer, initialized in
            UnsafeMutableRawBufferPointer(buffer).copyMemory(from: bytes)
            initialized = elementCount
        }
    }

    /// Calls `body` with the element bytes, valid only during the call.
    public func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try withExtendedLifetime(storage) { try body(storage.bytes) }
    }

    /// Calls `body` with the elements typed as `Element`, valid only during the call.
    ///
    /// - Throws: ``PaddleError/Code/dtypeMismatch`` when `Element` is not this tensor's type, or what `body` throws.
    public func withUnsafeBufferPointer<Element: TensorElement, Result>(
        as type: Element.Type, _ body: (UnsafeBufferPointer<Element>) throws -> Result
    ) throws -> Result {
        guard Element.dataType == dataType else {
            throw PaddleError(.dtypeMismatch, "tensor holds \(dataType), \(Element.dataType) requested")
        }
        return try withExtendedLifetime(storage) {
            try body(storage.bytes.assumingMemoryBound(to: Element.self))
        }
    }
}

extension Tensor: Equatable {
    /// Same shape, type and bytes.
    public static func == (lhs: Tensor, rhs: Tensor) -> Bool {
        lhs.shape == rhs.shape && lhs.dataType == rhs.dataType
            && (lhs.storage === rhs.storage || lhs.storage.bytes.elementsEqual(rhs.storage.bytes))
    }
}
