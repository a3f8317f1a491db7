import Foundation
import KServeProtocol
import PaddleInference

/// One way to turn an infer request body into its input tensors, as the server must: parse, check the fields,
/// and store the `data` values in tensor memory. Each fails on the same malformed bodies (a missing field, a
/// wrong type, a value count that does not fit the shape).
enum RequestDecoder: String, CaseIterable {
    /// paddle-swift's own: `InferenceRequest.decode` over `JSONParser`.
    case jsonParser = "JSONParser"
    /// Foundation's `JSONSerialization.jsonObject`, then the same checks on `[String: Any]`.
    case jsonSerialization = "JSONSerialization"
    /// Foundation's `JSONDecoder` into `Decodable` structs, then the same checks.
    case jsonDecoder = "JSONDecoder"

    struct DecodeError: Error, CustomStringConvertible {
        let description: String
    }

    /// The request's tensors, by input, in request order.
    func decode(_ body: UnsafeRawBufferPointer) throws -> [(name: String, tensor: Tensor)] {
        switch self {
        case .jsonParser:
            return try InferenceRequest.decode(body: body, headerLength: nil).inputs.map { ($0.name, $0.tensor) }
        case .jsonSerialization:
            return try Self.decodeWithSerialization(body)
        case .jsonDecoder:
            return try Self.decodeWithDecoder(body)
        }
    }

    /// Parse only: the document as the parser's own value (`JSONValue`, `Any`, or the `Decodable` structs).
    func parse(_ body: UnsafeRawBufferPointer) throws -> Int {
        switch self {
        case .jsonParser:
            guard case .object(let root) = try JSONParser.parse(body) else { throw DecodeError(description: "not an object") }
            return root["inputs"] == nil ? 0 : 1
        case .jsonSerialization:
            let object = try JSONSerialization.jsonObject(with: Self.data(body))
            return (object as? [String: Any])?["inputs"] == nil ? 0 : 1
        case .jsonDecoder:
            return try JSONDecoder().decode(Body.self, from: Self.data(body)).inputs.count
        }
    }

    /// The body as `Data` without a copy (the bytes outlive every use here).
    private static func data(_ body: UnsafeRawBufferPointer) -> Data {
        guard let base = body.baseAddress, body.count > 0 else { return Data() }
        return Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: base), count: body.count, deallocator: .none)
    }

    // MARK: JSONSerialization

    private static func decodeWithSerialization(_ body: UnsafeRawBufferPointer) throws -> [(name: String, tensor: Tensor)] {
        guard let root = try JSONSerialization.jsonObject(with: data(body)) as? [String: Any] else {
            throw DecodeError(description: "the request must be a JSON object")
        }
        guard let inputs = root["inputs"] as? [Any], !inputs.isEmpty else {
            throw DecodeError(description: "'inputs' must be a non-empty array")
        }
        return try inputs.map { value in
            guard let input = value as? [String: Any], let name = input["name"] as? String,
                let datatype = input["datatype"] as? String, let dims = input["shape"] as? [Any]
            else { throw DecodeError(description: "an input needs 'name', 'datatype' and 'shape'") }
            guard datatype == "FP32" else { throw DecodeError(description: "only FP32 here") }
            let shape = try dims.map { dim -> Int in
                guard let number = dim as? NSNumber, let size = Int(exactly: number.doubleValue), size >= 0 else {
                    throw DecodeError(description: "shape dimensions must be non-negative integers")
                }
                return size
            }
            guard let data = input["data"] as? [Any] else { throw DecodeError(description: "no 'data' array") }
            let count = shape.reduce(1, *)
            guard data.count == count else { throw DecodeError(description: "'data' has \(data.count) values") }
            let tensor = try Tensor(shape: shape, dataType: .float32) { buffer in
                let floats = buffer.bindMemory(to: Float.self)
                for (index, element) in data.enumerated() {
                    guard let number = element as? NSNumber else {
                        throw DecodeError(description: "'data' must hold numbers")
                    }
                    floats[index] = Float(number.doubleValue)
                }
            }
            return (name, tensor)
        }
    }

    // MARK: JSONDecoder

    private struct Body: Decodable {
        struct Input: Decodable {
            let name: String
            let datatype: String
            let shape: [Int]
            let data: [Float]
        }
        struct Output: Decodable {
            let name: String
        }
        let id: String?
        let inputs: [Input]
        let outputs: [Output]?
    }

    private static func decodeWithDecoder(_ body: UnsafeRawBufferPointer) throws -> [(name: String, tensor: Tensor)] {
        let request = try JSONDecoder().decode(Body.self, from: data(body))
        guard !request.inputs.isEmpty else { throw DecodeError(description: "'inputs' is empty") }
        return try request.inputs.map { input in
            guard input.datatype == "FP32" else { throw DecodeError(description: "only FP32 here") }
            guard input.shape.allSatisfy({ $0 >= 0 }) else { throw DecodeError(description: "negative dimension") }
            return (input.name, try Tensor(shape: input.shape, scalars: input.data))
        }
    }
}
