import Foundation

/// A structural check of a model program before the engine sees it.
///
/// Paddle 3.3.1 crashes the whole process (SIGSEGV) when given some malformed ProgramDesc files, e.g. random
/// bytes named `.pdmodel`, instead of throwing. This check walks the protobuf wire format of the ProgramDesc
/// schema (`framework.proto`: ProgramDesc → BlockDesc → VarDesc/OpDesc) and refuses anything that is not a
/// well-formed program, so such files become a typed error. It validates structure, not meaning: the engine
/// still reports semantic problems itself.
enum ProgramCheck {
    /// Checks a ProgramDesc program (`.pdmodel` or `__model__`).
    static func checkProgramDesc(_ bytes: UnsafeRawBufferPointer, name: String) throws(PaddleError) {
        var reader = WireReader(bytes: bytes)
        var blocks = 0
        do {
            while !reader.atEnd {
                let (field, wire) = try reader.tag()
                switch (field, wire) {
                case (1, 2):
                    try checkBlock(try reader.lengthDelimited())
                    blocks += 1
                case (4, 2), (5, 2):
                    try checkMessage(try reader.lengthDelimited(), depth: 1)
                default:
                    throw WireReader.Malformed(reason: "unexpected field \(field) (wire type \(wire)) in ProgramDesc")
                }
            }
        } catch let error as WireReader.Malformed {
            throw PaddleError(.modelFile, "\(name) is not a valid Paddle program (\(error.reason))")
        } catch {
            throw PaddleError(.modelFile, "\(name) is not a valid Paddle program")
        }
        guard blocks > 0 else { throw PaddleError(.modelFile, "\(name) is not a valid Paddle program (no blocks)") }
    }

    /// Checks the program file of `source`, if it has one.
    static func check(_ source: ModelSource) throws(PaddleError) {
        let program: String
        switch source {
        case .files(let file, _): program = file
        case .directory(let dir): program = dir + "/__model__"
        case .memory(let bytes, _):
            try PaddleError.typed { try bytes.withUnsafeBytes { try checkProgramDesc($0, name: "the program buffer") } }
            return
        }
        guard let data = FileManager.default.contents(atPath: program) else {
            throw PaddleError(.modelFile, "cannot read \(program)")
        }
        // PIR JSON programs need no check: the engine's JSON parser reports malformed files as errors.
        guard !program.hasSuffix(".json") else { return }
        try PaddleError.typed { try data.withUnsafeBytes { try checkProgramDesc($0, name: program) } }
    }

    private static func checkBlock(_ block: UnsafeRawBufferPointer) throws {
        var reader = WireReader(bytes: block)
        while !reader.atEnd {
            let (field, wire) = try reader.tag()
            switch (field, wire) {
            case (1, 0), (2, 0), (5, 0): _ = try reader.varint()
            case (3, 2), (4, 2): try checkMessage(try reader.lengthDelimited(), depth: 2)
            default: throw WireReader.Malformed(reason: "unexpected field \(field) (wire type \(wire)) in BlockDesc")
            }
        }
    }

    /// Any message: every field well-formed, nested length-delimited fields within bounds.
    private static func checkMessage(_ bytes: UnsafeRawBufferPointer, depth: Int) throws {
        var reader = WireReader(bytes: bytes)
        while !reader.atEnd {
            let (_, wire) = try reader.tag()
            try reader.skip(wire: wire)
        }
    }
}
