import Foundation

/// Where a model's program and parameters come from.
public enum ModelSource: Sendable, Equatable {
    /// A program file and its params file (`.pdmodel`/`.pdiparams`, `.json`/`.pdiparams`, `__model__`/`__params__`).
    case files(program: String, params: String)
    /// A directory with `__model__` and one file per parameter.
    case directory(String)
    /// A legacy ProgramDesc program and its params, in memory (PIR JSON programs cannot be loaded this way).
    case memory(program: [UInt8], params: [UInt8])

    /// The storage format.
    public var format: ModelFormat {
        switch self {
        case .files(let program, _):
            if program.hasSuffix(".json") { return .pirJSON }
            if (program as NSString).lastPathComponent == "__model__" { return .modelDirectory }
            return .pdmodel
        case .directory: return .modelDirectory
        case .memory: return .memory
        }
    }

    /// The files this source reads (empty for memory).
    public var files: [String] {
        switch self {
        case .files(let program, let params): [program, params]
        case .directory(let dir):
            ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted().map { dir + "/" + $0 }
        case .memory: []
        }
    }

    /// Finds the model at `path`: a directory (detecting which layout it holds) or a program file whose params
    /// file sits beside it with the same stem (`__params__` beside `__model__`). `params` overrides the params
    /// file.
    ///
    /// - Throws: ``PaddleError/Code/modelFile`` naming the path when no model is found.
    public static func detect(path: String, params: String? = nil) throws(PaddleError) -> ModelSource {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw PaddleError(.modelFile, "model path \(path) does not exist")
        }
        if !isDirectory.boolValue {
            let program = path
            let paramsFile = params ?? defaultParams(for: program)
            guard fm.fileExists(atPath: paramsFile) else {
                if (program as NSString).lastPathComponent == "__model__" && params == nil {
                    return .directory((program as NSString).deletingLastPathComponent)
                }
                throw PaddleError(.modelFile, "params file \(paramsFile) for program \(program) does not exist")
            }
            return .files(program: program, params: paramsFile)
        }
        let dir = path.hasSuffix("/") ? String(path.dropLast()) : path
        let names = ((try? fm.contentsOfDirectory(atPath: dir)) ?? []).sorted()
        // Preferred names first, then any program with a matching params file.
        for stem in ["inference", "model"] {
            for ext in ["json", "pdmodel"] where names.contains("\(stem).\(ext)") && names.contains("\(stem).pdiparams") {
                return .files(program: "\(dir)/\(stem).\(ext)", params: params ?? "\(dir)/\(stem).pdiparams")
            }
        }
        if names.contains("__model__") {
            if let params { return .files(program: "\(dir)/__model__", params: params) }
            if names.contains("__params__") {
                return .files(program: "\(dir)/__model__", params: "\(dir)/__params__")
            }
            return .directory(dir)
        }
        let programs = names.filter { $0.hasSuffix(".pdmodel") || $0.hasSuffix(".json") }
        let paired = programs.filter { names.contains(stem(of: $0) + ".pdiparams") }
        if paired.count == 1 {
            let program = paired[0]
            return .files(program: "\(dir)/\(program)", params: params ?? "\(dir)/\(stem(of: program)).pdiparams")
        }
        if paired.count > 1 {
            throw PaddleError(
                .modelFile, "model directory \(dir) holds several programs (\(paired.joined(separator: ", "))); name one")
        }
        throw PaddleError(
            .modelFile,
            "no Paddle model in \(dir) (expected inference.pdmodel/.json + inference.pdiparams, "
                + "*.pdmodel + *.pdiparams, or __model__)")
    }

    static func defaultParams(for program: String) -> String {
        let name = (program as NSString).lastPathComponent
        let dir = (program as NSString).deletingLastPathComponent
        if name == "__model__" { return (dir.isEmpty ? "" : dir + "/") + "__params__" }
        return (program as NSString).deletingPathExtension + ".pdiparams"
    }

    private static func stem(of name: String) -> String { (name as NSString).deletingPathExtension }
}
