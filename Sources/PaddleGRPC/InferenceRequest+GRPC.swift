import Foundation
import KServeProtocol
import PaddleInference
import PaddleModelRepository
import PaddleServing

extension InferenceRequest {
    /// Decodes a `ModelInferRequest`: inputs from `raw_input_contents` (one entry per input, in order) or from each
    /// input's typed `contents`, the requested outputs, the id, and the `timeout` parameter (microseconds) or the
    /// call's deadline, whichever comes first.
    ///
    /// - Parameters:
    ///   - message: The request message.
    ///   - callTimeout: The call's `grpc-timeout`, if any.
    ///   - limits: Limits on the decoded tensors.
    /// - Throws: `ServingError` 400 naming what is wrong.
    static func decode(
        _ message: Inference_ModelInferRequest, callTimeout: Duration?, limits: DecodingLimits
    ) throws(ServingError) -> InferenceRequest {
        var request = InferenceRequest(inputs: [])
        request.id = message.id.isEmpty ? nil : message.id
        if let timeout = message.parameters["timeout"] {
            guard case .int64Param(let value)? = timeout.parameterChoice, value >= 0 else {
                throw .badRequest("'timeout' must be a non-negative int64 parameter (microseconds)")
            }
            request.timeoutMicroseconds = Int(value)
        }
        if let callTimeout {
            let (seconds, attoseconds) = callTimeout.components
            let micros = seconds.multipliedReportingOverflow(by: 1_000_000)
            let call = micros.overflow ? Int.max : Int(micros.partialValue) + Int(attoseconds / 1_000_000_000_000)
            request.timeoutMicroseconds = min(request.timeoutMicroseconds ?? Int.max, max(call, 0))
        }
        guard !message.inputs.isEmpty else { throw .badRequest("the request has no inputs") }
        let raw = message.rawInputContents
        if !raw.isEmpty && raw.count != message.inputs.count {
            throw .badRequest(
                "raw_input_contents has \(raw.count) entries for \(message.inputs.count) inputs: give one per input, "
                    + "or none")
        }
        var seen = Set<String>()
        request.inputs.reserveCapacity(message.inputs.count)
        for (position, input) in message.inputs.enumerated() {
            let decoded = try decodeInput(input, raw: raw.isEmpty ? nil : raw[position], limits: limits)
            guard seen.insert(decoded.name).inserted else { throw .badRequest("input '\(decoded.name)' is given twice") }
            request.inputs.append(decoded)
        }
        if !message.outputs.isEmpty {
            var names = Set<String>()
            request.outputs = try message.outputs.map { (output) throws(ServingError) in
                guard !output.name.isEmpty else { throw .badRequest("a requested output has no name") }
                guard names.insert(output.name).inserted else {
                    throw .badRequest("output '\(output.name)' is requested twice")
                }
                if case .int64Param(let value)? = output.parameters["classification"]?.parameterChoice, value != 0 {
                    throw .badRequest("output '\(output.name)': the classification extension is not supported")
                }
                return RequestedOutput(name: output.name, binaryData: true)
            }
        }
        return request
    }

    private static func decodeInput(
        _ input: Inference_ModelInferRequest.InferInputTensor, raw: Data?, limits: DecodingLimits
    ) throws(ServingError) -> Input {
        let name = input.name
        guard !name.isEmpty else { throw .badRequest("an input has no name") }
        guard let dataType = DataType(kserveName: input.datatype) else {
            if ["BYTES", "UINT16", "UINT32", "UINT64", "INT16"].contains(input.datatype) {
                throw .badRequest("input '\(name)' has datatype \(input.datatype), which the Paddle engine does not support")
            }
            throw .badRequest("input '\(name)' has an unknown datatype '\(input.datatype)'")
        }
        guard input.shape.count <= limits.maximumRank else {
            throw .badRequest("input '\(name)' has rank \(input.shape.count), more than the limit of \(limits.maximumRank)")
        }
        var shape: [Int] = []
        shape.reserveCapacity(input.shape.count)
        var elementCount = 1
        for dim in input.shape {
            guard dim >= 0 else { throw .badRequest("input '\(name)': every shape dimension must be non-negative") }
            let (product, overflow) = elementCount.multipliedReportingOverflow(by: Int(dim))
            guard !overflow, product <= limits.maximumElements else {
                throw .badRequest("input '\(name)' of shape \(input.shape) has more than \(limits.maximumElements) elements")
            }
            elementCount = product
            shape.append(Int(dim))
        }
        let contents = input.contents
        if let raw {
            guard Self.typedCount(contents) == 0 else {
                throw .badRequest("input '\(name)' has both raw_input_contents and typed contents")
            }
            let expected = elementCount * dataType.byteSize
            guard raw.count == expected else {
                throw .badRequest(
                    "input '\(name)' of shape \(shape) and datatype \(input.datatype) needs \(expected) bytes of raw "
                        + "contents, \(raw.count) given")
            }
            let decoded: Result<Tensor, ServingError> = raw.withUnsafeBytes { bytes in
                do throws(ServingError) {
                    return .success(try TensorCodec.tensor(shape: shape, dataType: dataType, binary: bytes))
                } catch {
                    return .failure(error)
                }
            }
            return Input(name: name, tensor: try decoded.get())
        }
        return Input(name: name, tensor: try typedTensor(contents, shape: shape, count: elementCount, dataType: dataType, name: name))
    }

    /// How many typed elements `contents` holds, over all its fields.
    private static func typedCount(_ contents: Inference_InferTensorContents) -> Int {
        contents.boolContents.count + contents.intContents.count + contents.int64Contents.count
            + contents.uintContents.count + contents.uint64Contents.count + contents.fp32Contents.count
            + contents.fp64Contents.count + contents.bytesContents.count
    }

    /// A tensor from the typed field that matches `dataType` (INT8 and INT32 in `int_contents`, UINT8 in
    /// `uint_contents`, ...), which must hold exactly `count` elements while the other fields stay empty.
    private static func typedTensor(
        _ contents: Inference_InferTensorContents, shape: [Int], count: Int, dataType: DataType, name: String
    ) throws(ServingError) -> Tensor {
        let given: Int
        let field: String
        switch dataType {
        case .bool: (given, field) = (contents.boolContents.count, "bool_contents")
        case .int8, .int32: (given, field) = (contents.intContents.count, "int_contents")
        case .int64: (given, field) = (contents.int64Contents.count, "int64_contents")
        case .uint8: (given, field) = (contents.uintContents.count, "uint_contents")
        case .float32: (given, field) = (contents.fp32Contents.count, "fp32_contents")
        case .float64: (given, field) = (contents.fp64Contents.count, "fp64_contents")
        case .float16, .bfloat16:
            throw .badRequest(
                "input '\(name)' has datatype \(dataType.kserveName), which must be sent in raw_input_contents")
        }
        let total = typedCount(contents)
        guard total > 0 || count == 0 else {
            throw .badRequest("input '\(name)' has neither raw_input_contents nor typed contents")
        }
        guard given == total else {
            throw .badRequest("input '\(name)' is \(dataType.kserveName): its elements belong in \(field)")
        }
        guard given == count else {
            throw .badRequest("input '\(name)' of shape \(shape) needs \(count) values, \(field) has \(given)")
        }
        func narrow<Wide: BinaryInteger, Narrow: FixedWidthInteger>(_ values: [Wide], to: Narrow.Type) throws(ServingError)
            -> [Narrow]
        {
            var result: [Narrow] = []
            result.reserveCapacity(values.count)
            for value in values {
                guard let exact = Narrow(exactly: value) else {
                    throw .badRequest(
                        "input '\(name)': \(value) does not fit \(dataType.kserveName) (\(Narrow.min)...\(Narrow.max))")
                }
                result.append(exact)
            }
            return result
        }
        do {
            switch dataType {
            case .bool: return try Tensor(shape: shape, scalars: contents.boolContents)
            case .int8: return try Tensor(shape: shape, scalars: try narrow(contents.intContents, to: Int8.self))
            case .int32: return try Tensor(shape: shape, scalars: contents.intContents)
            case .int64: return try Tensor(shape: shape, scalars: contents.int64Contents)
            case .uint8: return try Tensor(shape: shape, scalars: try narrow(contents.uintContents, to: UInt8.self))
            case .float32: return try Tensor(shape: shape, scalars: contents.fp32Contents)
            case .float64: return try Tensor(shape: shape, scalars: contents.fp64Contents)
            case .float16, .bfloat16: throw ServingError.badRequest("unreachable")
            }
        } catch let error as ServingError {
            throw error
        } catch {
            throw ServingError.from(error)
        }
    }
}
