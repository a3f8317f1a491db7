import Foundation

/// A program's inputs and outputs (name, element type, shape), read from its files without loading it.
///
/// What a ``Predictor`` reports as ``Predictor/inputs`` and ``Predictor/outputs`` after a load, in the same order,
/// but without the engine: the server answers metadata of models that are not loaded from it. The files declare:
/// - ProgramDesc (`.pdmodel`, `__model__`): block 0's `feed` ops (their `Out` variable, ordered by `col`) and
///   `fetch` ops (their `X` variable, ordered by `col`), with each variable's `LoDTensor` element type and dims;
/// - PIR `.json`: the `pd_op.data` ops (`name`, `dtype` and `shape` attributes, in program order) and the
///   `pd_op.fetch` ops (`name`, ordered by `col`, with the element type and dims of their output's tensor type).
///
/// Dynamic dimensions are `-1`. Element types are the program's declarations, like ``Predictor``'s (the engine's
/// own type queries are incomplete in Paddle 3.3.1).
///
/// ```swift
/// let signature = try ProgramSignature(model: ".paddle/models/ppocrv4/ch_PP-OCRv4_rec_infer")
/// print(signature.inputs)   // [x: float32 [?, 3, 48, ?]]
/// ```
///
/// Reading parses the whole program file (a PIR `.json` of several MB takes tens of milliseconds): blocking work,
/// to be kept off Swift's cooperative threads and event loops.
public struct ProgramSignature: Sendable, Hashable {
    /// The program's inputs, in the engine's order.
    public let inputs: [TensorInfo]
    /// The program's outputs, in the engine's order.
    public let outputs: [TensorInfo]

    /// A signature with these inputs and outputs.
    public init(inputs: [TensorInfo], outputs: [TensorInfo]) {
        self.inputs = inputs
        self.outputs = outputs
    }

    /// Reads the signature of the model at `path` (a folder or a program file, found as ``Config/init(model:params:)``
    /// finds it).
    ///
    /// - Throws: ``PaddleError/Code/modelFile`` when there is no model at `path`, or its program cannot be read or
    ///   is malformed.
    public init(model path: String) throws(PaddleError) {
        try self.init(reading: try ModelSource.detect(path: path))
    }

    /// Reads the signature of the program of `source`.
    ///
    /// - Throws: ``PaddleError/Code/modelFile`` when the program file cannot be read, is malformed, has no output
    ///   (no `fetch` op), or declares an input or output without a tensor type this library knows.
    public init(reading source: ModelSource) throws(PaddleError) {
        let program: String
        switch source {
        case .files(let file, _): program = file
        case .directory(let dir): program = dir + "/__model__"
        case .memory(let bytes, _):
            self = try Self.fromProgramDesc(Data(bytes), name: "the program buffer")
            return
        }
        guard let data = FileManager.default.contents(atPath: program) else {
            throw PaddleError(.modelFile, "cannot read the program file \(program)")
        }
        self = try program.hasSuffix(".json") ? Self.fromPIR(data, name: program) : Self.fromProgramDesc(data, name: program)
    }

    // MARK: PIR JSON

    /// The `data` and `fetch` ops of a PIR program.
    static func fromPIR(_ data: Data, name: String) throws(PaddleError) -> ProgramSignature {
        func malformed(_ reason: String) -> PaddleError {
            PaddleError(.modelFile, "\(name) is not a valid PIR program (\(reason))")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) else { throw malformed("not JSON") }
        guard let root = object as? [String: Any], let program = root["program"] as? [String: Any],
            let regions = program["regions"] as? [[String: Any]]
        else { throw malformed("no program regions") }
        var inputs: [TensorInfo] = []
        var fetches: [(column: Int, info: TensorInfo)] = []
        for region in regions {
            for block in region["blocks"] as? [[String: Any]] ?? [] {
                for op in block["ops"] as? [[String: Any]] ?? [] {
                    guard let kind = op["#"] as? String else { continue }
                    let isData = kind.hasSuffix(".data")
                    guard isData || kind.hasSuffix(".fetch") else { continue }
                    let attributes = op["A"] as? [[String: Any]] ?? []
                    func attribute(_ key: String) -> Any? {
                        (attributes.first { $0["N"] as? String == key }?["AT"] as? [String: Any])?["D"]
                    }
                    guard let tensorName = attribute("name") as? String else { throw malformed("a \(kind) op without a name") }
                    // The op's result type: [element type, dims, layout, lod, offset].
                    let resultType = ((op["O"] as? [[String: Any]])?.first?["TT"] as? [String: Any])?["D"] as? [Any]
                    let resultElement = ((resultType?.first as? [String: Any])?["#"] as? String).flatMap(ProgramTypes.pirType)
                    let resultDims = resultType.flatMap { $0.count > 1 ? dims($0[1]) : nil }
                    if isData {
                        let dataType = (attribute("dtype") as? String).flatMap(ProgramTypes.pirType) ?? resultElement
                        guard let dataType else { throw malformed("input \(tensorName) has no known element type") }
                        guard let shape = dims(attribute("shape")) ?? resultDims else {
                            throw malformed("input \(tensorName) has no shape")
                        }
                        inputs.append(TensorInfo(name: tensorName, shape: shape, dataType: dataType))
                    } else {
                        guard let dataType = resultElement else {
                            throw malformed("output \(tensorName) has no known element type")
                        }
                        guard let shape = resultDims else { throw malformed("output \(tensorName) has no shape") }
                        let column = integer(attribute("col")) ?? fetches.count
                        fetches.append((column, TensorInfo(name: tensorName, shape: shape, dataType: dataType)))
                    }
                }
            }
        }
        guard !fetches.isEmpty else { throw malformed("no fetch op: the program has no outputs") }
        return ProgramSignature(inputs: inputs, outputs: ordered(fetches))
    }

    /// A JSON array of integers as dims (any negative one as -1), or `nil`.
    private static func dims(_ value: Any?) -> [Int]? {
        guard let values = value as? [Any] else { return nil }
        var result: [Int] = []
        for value in values {
            guard let number = integer(value) else { return nil }
            result.append(max(number, -1))
        }
        return result
    }

    /// A JSON number that is an integer, or `nil`.
    private static func integer(_ value: Any?) -> Int? {
        if let value = value as? Int { return value }
        if let value = value as? NSNumber, let exact = Int(exactly: value.doubleValue) { return exact }
        return nil
    }

    // MARK: ProgramDesc

    /// The `feed` and `fetch` ops of block 0 and their variables.
    static func fromProgramDesc(_ data: Data, name: String) throws(PaddleError) -> ProgramSignature {
        do {
            return try data.withUnsafeBytes { try programDesc($0) }
        } catch let error as WireReader.Malformed {
            throw PaddleError(.modelFile, "\(name) is not a valid Paddle program (\(error.reason))")
        } catch {
            throw PaddleError(.modelFile, "\(name) is not a valid Paddle program")
        }
    }

    /// framework.proto: ProgramDesc{ blocks = 1 } → BlockDesc{ vars = 3, ops = 4 } → OpDesc{ inputs = 1,
    /// outputs = 2, type = 3, attrs = 4 }, OpDesc.Var{ parameter = 1, arguments = 2 }, OpDesc.Attr{ name = 1,
    /// i = 3 }; VarDesc{ name = 1, type = 2 } → VarType{ lod_tensor = 3 } → LoDTensorDesc{ tensor = 1 } →
    /// TensorDesc{ data_type = 1, dims = 2 }.
    private static func programDesc(_ bytes: UnsafeRawBufferPointer) throws -> ProgramSignature {
        var program = WireReader(bytes: bytes)
        guard let block = try program.firstField(1, wire: 2) else { throw WireReader.Malformed(reason: "no blocks") }
        var variables: [String: (dataType: DataType?, dims: [Int])] = [:]
        var feeds: [(column: Int, name: String)] = []
        var fetches: [(column: Int, name: String)] = []
        var reader = WireReader(bytes: block)
        while !reader.atEnd {
            let (field, wire) = try reader.tag()
            switch (field, wire) {
            case (3, 2):
                let (name, dataType, dims) = try variable(try reader.lengthDelimited())
                variables[name] = (dataType, dims)
            case (4, 2):
                let op = try operation(try reader.lengthDelimited())
                if op.type == "feed", let name = op.outputs["Out"]?.first {
                    feeds.append((op.column ?? feeds.count, name))
                } else if op.type == "fetch", let name = op.inputs["X"]?.first {
                    fetches.append((op.column ?? fetches.count, name))
                }
            default:
                try reader.skip(wire: wire)
            }
        }
        guard !fetches.isEmpty else { throw WireReader.Malformed(reason: "no fetch op: the program has no outputs") }
        func describe(_ entries: [(column: Int, name: String)], kind: String) throws -> [TensorInfo] {
            try entries.enumerated().sorted { ($0.element.column, $0.offset) < ($1.element.column, $1.offset) }.map {
                let entry = $0.element
                guard let variable = variables[entry.name] else {
                    throw WireReader.Malformed(reason: "\(kind) \(entry.name) has no variable in block 0")
                }
                guard let dataType = variable.dataType else {
                    throw WireReader.Malformed(reason: "\(kind) \(entry.name) has no known tensor element type")
                }
                return TensorInfo(name: entry.name, shape: variable.dims, dataType: dataType)
            }
        }
        return ProgramSignature(
            inputs: try describe(feeds, kind: "input"), outputs: try describe(fetches, kind: "output"))
    }

    /// A VarDesc's name, and its LoDTensor's element type and dims (`nil` and empty when it is no LoDTensor).
    private static func variable(_ bytes: UnsafeRawBufferPointer) throws -> (String, DataType?, [Int]) {
        var reader = WireReader(bytes: bytes)
        var name: String?
        var dataType: DataType?
        var dims: [Int] = []
        while !reader.atEnd {
            let (field, wire) = try reader.tag()
            switch (field, wire) {
            case (1, 2): name = String(decoding: try reader.lengthDelimited(), as: UTF8.self)
            case (2, 2):
                var type = WireReader(bytes: try reader.lengthDelimited())
                guard let lodTensor = try type.firstField(3, wire: 2) else { continue }
                var lod = WireReader(bytes: lodTensor)
                guard let tensorDesc = try lod.firstField(1, wire: 2) else { continue }
                var tensor = WireReader(bytes: tensorDesc)
                while !tensor.atEnd {
                    let (tensorField, tensorWire) = try tensor.tag()
                    switch (tensorField, tensorWire) {
                    case (1, 0): dataType = ProgramTypes.protoType(try tensor.varint())
                    case (2, 0): dims.append(max(Int(truncatingIfNeeded: try tensor.varint()), -1))
                    case (2, 2):
                        // Packed dims.
                        var packed = WireReader(bytes: try tensor.lengthDelimited())
                        while !packed.atEnd { dims.append(max(Int(truncatingIfNeeded: try packed.varint()), -1)) }
                    default: try tensor.skip(wire: tensorWire)
                    }
                }
            default: try reader.skip(wire: wire)
            }
        }
        guard let name else { throw WireReader.Malformed(reason: "a variable without a name") }
        return (name, dataType, dims)
    }

    /// An OpDesc's type, its input and output arguments by parameter, and its `col` attribute.
    private static func operation(_ bytes: UnsafeRawBufferPointer) throws
        -> (type: String, inputs: [String: [String]], outputs: [String: [String]], column: Int?)
    {
        var reader = WireReader(bytes: bytes)
        var type = ""
        var inputs: [String: [String]] = [:]
        var outputs: [String: [String]] = [:]
        var column: Int?
        while !reader.atEnd {
            let (field, wire) = try reader.tag()
            switch (field, wire) {
            case (1, 2), (2, 2):
                let (parameter, arguments) = try argument(try reader.lengthDelimited())
                if field == 1 { inputs[parameter] = arguments } else { outputs[parameter] = arguments }
            case (3, 2): type = String(decoding: try reader.lengthDelimited(), as: UTF8.self)
            case (4, 2):
                var attribute = WireReader(bytes: try reader.lengthDelimited())
                var attributeName = ""
                var value: Int?
                while !attribute.atEnd {
                    let (attributeField, attributeWire) = try attribute.tag()
                    switch (attributeField, attributeWire) {
                    case (1, 2): attributeName = String(decoding: try attribute.lengthDelimited(), as: UTF8.self)
                    case (3, 0): value = Int(Int32(truncatingIfNeeded: try attribute.varint()))
                    default: try attribute.skip(wire: attributeWire)
                    }
                }
                if attributeName == "col" { column = value }
            default: try reader.skip(wire: wire)
            }
        }
        return (type, inputs, outputs, column)
    }

    /// An OpDesc.Var: its parameter name and its arguments.
    private static func argument(_ bytes: UnsafeRawBufferPointer) throws -> (String, [String]) {
        var reader = WireReader(bytes: bytes)
        var parameter = ""
        var arguments: [String] = []
        while !reader.atEnd {
            let (field, wire) = try reader.tag()
            switch (field, wire) {
            case (1, 2): parameter = String(decoding: try reader.lengthDelimited(), as: UTF8.self)
            case (2, 2): arguments.append(String(decoding: try reader.lengthDelimited(), as: UTF8.self))
            default: try reader.skip(wire: wire)
            }
        }
        return (parameter, arguments)
    }

    /// Entries sorted by column, stable for equal columns.
    private static func ordered(_ entries: [(column: Int, info: TensorInfo)]) -> [TensorInfo] {
        entries.enumerated().sorted { ($0.element.column, $0.offset) < ($1.element.column, $1.offset) }.map(\.element.info)
    }
}
