/// How a Paddle model is stored.
public enum ModelFormat: String, Sendable, Codable, CustomStringConvertible {
    /// A legacy ProgramDesc program `*.pdmodel` with its `*.pdiparams`.
    case pdmodel
    /// A PIR program `*.json` with its `*.pdiparams` (Paddle 3.x).
    case pirJSON = "json"
    /// The oldest layout: a directory with `__model__` and either `__params__` or one file per parameter.
    case modelDirectory = "model_dir"
    /// A legacy ProgramDesc program and its params given as memory buffers.
    case memory

    /// A short name of the format, for messages (for example `PIR (.json + .pdiparams)`).
    public var description: String {
        switch self {
        case .pdmodel: "ProgramDesc (.pdmodel + .pdiparams)"
        case .pirJSON: "PIR (.json + .pdiparams)"
        case .modelDirectory: "ProgramDesc directory (__model__)"
        case .memory: "ProgramDesc (memory buffers)"
        }
    }
}
