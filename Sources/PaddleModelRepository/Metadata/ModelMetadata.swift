import PaddleInference

/// What a model's metadata request answers (`GET /v2/models/{name}[/versions/{v}]`, gRPC `ModelMetadata`): its
/// name, versions, platform, inputs and outputs.
///
/// Made by ``ModelRepository/metadata(name:version:)``: from the loaded instance, or, for an on-demand model that is
/// not loaded, from its program files (`ProgramSignature`) without loading it. Either way the inputs and outputs are
/// the program's declarations with the model configuration's `inputs`/`outputs` overrides applied.
public struct ModelMetadata: Sendable, Equatable {
    /// Where the inputs and outputs were read.
    public enum Source: Sendable, Equatable {
        /// A loaded instance (what the engine reports).
        case loaded
        /// The program files of a version that is not loaded.
        case files
    }

    /// The model's name.
    public var name: String
    /// The pinned version (as requested), else the versions that serve: the ready ones, or for a model not loaded
    /// those its version policy selects (the ones its first request loads).
    public var versions: [String]
    /// Always `paddle_inference`.
    public var platform: String
    /// The inputs as served, in the engine's order.
    public var inputs: [TensorInfo]
    /// The outputs as served, in the engine's order.
    public var outputs: [TensorInfo]
    /// Where ``inputs`` and ``outputs`` were read.
    public var source: Source

    /// Metadata with these fields.
    public init(
        name: String, versions: [String], platform: String = "paddle_inference", inputs: [TensorInfo],
        outputs: [TensorInfo], source: Source
    ) {
        self.name = name
        self.versions = versions
        self.platform = platform
        self.inputs = inputs
        self.outputs = outputs
        self.source = source
    }
}
