import NIOCore
import PaddleInference

/// The answer to an inference request, and its encoding as JSON or JSON plus binary data.
public struct InferenceResponse: Sendable {
    /// One output tensor and how it travels.
    public struct Output: Sendable {
        /// The output's name.
        public var name: String
        /// The output's values.
        public var tensor: Tensor
        /// Sent as binary data after the JSON header (forced for FP16 and BF16, which JSON cannot carry).
        public var binary: Bool

        /// An output; `binary` sends it after the JSON part (Triton's binary tensor extension) instead of in it.
        public init(name: String, tensor: Tensor, binary: Bool) {
            self.name = name
            self.tensor = tensor
            self.binary = binary || !tensor.dataType.isJSONRepresentable
        }
    }

    /// The model that answered.
    public var modelName: String
    /// The version that answered.
    public var modelVersion: String
    /// The request's id, echoed.
    public var id: String?
    /// The outputs, in the order they were asked for (or the model's).
    public var outputs: [Output]

    /// A response ready to encode.
    public init(modelName: String, modelVersion: String, id: String?, outputs: [Output]) {
        self.modelName = modelName
        self.modelVersion = modelVersion
        self.id = id
        self.outputs = outputs
    }

    /// The encoded body and, when any output is binary, the length of its JSON header (the value of
    /// `Inference-Header-Content-Length`).
    public func encode() -> (body: ByteBuffer, headerLength: Int?) {
        var writer = JSONWriter(capacity: 512)
        writer.object { root in
            if let id { root.member("id", string: id) }
            root.member("model_name", string: modelName)
            root.member("model_version", string: modelVersion)
            root.member("outputs") { array in
                array.array(outputs) { element, output in
                    element.object { object in
                        object.member("name", string: output.name)
                        object.member("datatype", string: output.tensor.dataType.kserveName)
                        object.member("shape", ints: output.tensor.shape)
                        if output.binary {
                            object.member("parameters") {
                                $0.object { $0.member("binary_data_size", int: output.tensor.byteCount) }
                            }
                        } else {
                            object.member("data") { TensorCodec.writeJSONData(output.tensor, into: &$0) }
                        }
                    }
                }
            }
        }
        let binaryOutputs = outputs.filter(\.binary)
        guard !binaryOutputs.isEmpty else { return (ByteBuffer(bytes: writer.bytes), nil) }
        let total = writer.bytes.count + binaryOutputs.reduce(0) { $0 + $1.tensor.byteCount }
        var buffer = ByteBufferAllocator().buffer(capacity: total)
        buffer.writeBytes(writer.bytes)
        for output in binaryOutputs {
            output.tensor.withUnsafeBytes { _ = buffer.writeBytes($0) }
        }
        return (buffer, writer.bytes.count)
    }
}
