import Foundation

/// Element types of a program's inputs and outputs, read from the program itself.
///
/// The engine's own type queries are incomplete in 3.3.1: for ProgramDesc models `GetOutputTypes` throws for
/// float64 and bool outputs, and for PIR `.json` models `GetInputTypes`/`GetOutputTypes` report float32 for
/// every tensor. The program files declare the real types: ProgramDesc `VarDesc`s in block 0, and the PIR
/// program's `data` and `fetch` ops.
enum ProgramTypes {
    /// Declared element types by tensor name (empty when the program cannot be read).
    static func read(_ source: ModelSource) -> [String: DataType] {
        switch source {
        case .files(let program, _):
            guard let data = FileManager.default.contents(atPath: program) else { return [:] }
            return program.hasSuffix(".json") ? fromPIR(data) : fromProgramDesc(data)
        case .directory(let dir):
            guard let data = FileManager.default.contents(atPath: dir + "/__model__") else { return [:] }
            return fromProgramDesc(data)
        case .memory(let program, _):
            return fromProgramDesc(Data(program))
        }
    }

    // MARK: PIR JSON

    /// `data` ops carry a `dtype` attribute; `fetch` ops a typed output (`0.t_i64`, ...).
    static func fromPIR(_ data: Data) -> [String: DataType] {
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let program = root["program"] as? [String: Any],
            let regions = program["regions"] as? [[String: Any]]
        else { return [:] }
        var types: [String: DataType] = [:]
        for region in regions {
            for block in region["blocks"] as? [[String: Any]] ?? [] {
                for op in block["ops"] as? [[String: Any]] ?? [] {
                    guard let kind = op["#"] as? String, kind.hasSuffix(".data") || kind.hasSuffix(".fetch") else {
                        continue
                    }
                    let attributes = op["A"] as? [[String: Any]] ?? []
                    func attribute(_ name: String) -> Any? {
                        (attributes.first { $0["N"] as? String == name }?["AT"] as? [String: Any])?["D"]
                    }
                    guard let name = attribute("name") as? String else { continue }
                    if kind.hasSuffix(".data"), let dtype = attribute("dtype") as? String, let type = pirType(dtype) {
                        types[name] = type
                    } else if let outputs = op["O"] as? [[String: Any]],
                        let tensorType = outputs.first?["TT"] as? [String: Any],
                        let fields = tensorType["D"] as? [Any],
                        let element = (fields.first as? [String: Any])?["#"] as? String,
                        let type = pirType(element)
                    {
                        types[name] = type
                    }
                }
            }
        }
        return types
    }

    /// "int64" or "0.t_i64" → .int64.
    static func pirType(_ text: String) -> DataType? {
        let name = text.split(separator: ".").last.map(String.init) ?? text
        switch name {
        case "float32", "t_f32": return .float32
        case "float64", "t_f64": return .float64
        case "float16", "t_f16": return .float16
        case "bfloat16", "t_bf16": return .bfloat16
        case "int64", "t_i64": return .int64
        case "int32", "t_i32": return .int32
        case "uint8", "t_ui8", "t_u8": return .uint8
        case "int8", "t_i8": return .int8
        case "bool", "t_bool": return .bool
        default: return nil
        }
    }

    // MARK: ProgramDesc

    /// Block 0's `VarDesc`s: name (field 1) and type (field 2: VarType{ lod_tensor = 3: { tensor = 1:
    /// TensorDesc{ data_type = 1 } } }).
    static func fromProgramDesc(_ data: Data) -> [String: DataType] {
        data.withUnsafeBytes { bytes in
            var types: [String: DataType] = [:]
            var program = WireReader(bytes: bytes)
            guard let block = try? program.firstField(1, wire: 2) else { return [:] }
            var reader = WireReader(bytes: block)
            while !reader.atEnd {
                guard let (field, wire) = try? reader.tag() else { break }
                guard field == 3, wire == 2, let variable = try? reader.lengthDelimited() else {
                    if (try? reader.skip(wire: wire)) == nil { break }
                    continue
                }
                var varReader = WireReader(bytes: variable)
                guard let nameBytes = try? varReader.firstField(1, wire: 2) else { continue }
                let name = String(decoding: nameBytes, as: UTF8.self)
                var typeReader = WireReader(bytes: variable)
                guard let varType = try? typeReader.firstField(2, wire: 2) else { continue }
                var lod = WireReader(bytes: varType)
                guard let lodTensor = try? lod.firstField(3, wire: 2) else { continue }
                var tensor = WireReader(bytes: lodTensor)
                guard let tensorDesc = try? tensor.firstField(1, wire: 2) else { continue }
                var desc = WireReader(bytes: tensorDesc)
                guard let code = try? desc.firstVarint(1), let type = protoType(code) else { continue }
                types[name] = type
            }
            return types
        }
    }

    /// framework.proto VarType.Type → DataType.
    static func protoType(_ code: UInt64) -> DataType? {
        switch code {
        case 0: .bool
        case 2: .int32
        case 3: .int64
        case 4: .float16
        case 5: .float32
        case 6: .float64
        case 20: .uint8
        case 21: .int8
        case 22: .bfloat16
        default: nil
        }
    }
}

extension WireReader {
    /// The first length-delimited field `number` from the current position.
    mutating func firstField(_ number: UInt64, wire expected: UInt64) throws -> UnsafeRawBufferPointer? {
        while !atEnd {
            let (field, wire) = try tag()
            if field == number && wire == expected { return try lengthDelimited() }
            try skip(wire: wire)
        }
        return nil
    }

    /// The first varint field `number` from the current position.
    mutating func firstVarint(_ number: UInt64) throws -> UInt64? {
        while !atEnd {
            let (field, wire) = try tag()
            if field == number && wire == 0 { return try varint() }
            try skip(wire: wire)
        }
        return nil
    }
}
