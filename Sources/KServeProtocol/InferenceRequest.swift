import PaddleInference

/// One decoded `POST /v2/models/{m}/infer` request: tensors ready for the engine, and how to answer.
public struct InferenceRequest: Sendable {
    /// One input tensor of the request.
    public struct Input: Sendable {
        /// The input's name.
        public var name: String
        /// The decoded tensor (its shape and type are the request's).
        public var tensor: Tensor

        /// An input named `name` holding `tensor`.
        public init(name: String, tensor: Tensor) {
            self.name = name
            self.tensor = tensor
        }
    }

    /// One output the client asked for.
    public struct RequestedOutput: Sendable, Equatable {
        /// The output's name.
        public var name: String
        /// `true`/`false` when the client chose binary or JSON for this output; `nil` for the request's default.
        public var binaryData: Bool?

        /// An output to return, as binary (`true`), JSON (`false`) or the request's default (`nil`).
        public init(name: String, binaryData: Bool? = nil) {
            self.name = name
            self.binaryData = binaryData
        }
    }

    /// The client's request id, echoed in the response.
    public var id: String?
    /// The inputs, in request order.
    public var inputs: [Input]
    /// The outputs asked for; `nil` means all of the model's outputs.
    public var outputs: [RequestedOutput]?
    /// The request-level `binary_data_output` parameter: the default for outputs that do not choose.
    public var binaryDataOutput: Bool
    /// The request-level `timeout` parameter in microseconds, if any.
    public var timeoutMicroseconds: Int?

    /// A request as a client or another protocol (gRPC) builds it.
    public init(
        id: String? = nil, inputs: [Input], outputs: [RequestedOutput]? = nil, binaryDataOutput: Bool = false,
        timeoutMicroseconds: Int? = nil
    ) {
        self.id = id
        self.inputs = inputs
        self.outputs = outputs
        self.binaryDataOutput = binaryDataOutput
        self.timeoutMicroseconds = timeoutMicroseconds
    }

    /// The inputs by name.
    public var tensors: [String: Tensor] {
        Dictionary(inputs.map { ($0.name, $0.tensor) }, uniquingKeysWith: { first, _ in first })
    }
}

/// Limits applied while decoding untrusted requests.
public struct DecodingLimits: Sendable {
    /// The most elements one tensor may have.
    public var maximumElements: Int = 1 << 28
    /// The highest rank accepted.
    public var maximumRank: Int = 16

    /// The defaults: at most 2^28 elements per tensor and rank 16.
    public init() {}
}
