import PaddleInference

extension InferenceRequest {
    /// Decodes a request body: JSON only, or (when `headerLength` is given, from Triton's
    /// `Inference-Header-Content-Length`) a JSON header followed by the binary data of the inputs that carry a
    /// `binary_data_size` parameter, in input order.
    ///
    /// - Throws: ``ServingError`` with status 400 naming what is wrong.
    public static func decode(
        body: UnsafeRawBufferPointer, headerLength: Int?, limits: DecodingLimits = DecodingLimits()
    ) throws(ServingError) -> InferenceRequest {
        let jsonBytes: UnsafeRawBufferPointer
        var binary: UnsafeRawBufferPointer
        if let headerLength {
            guard headerLength >= 0, headerLength <= body.count else {
                throw .badRequest(
                    "Inference-Header-Content-Length is \(headerLength) but the body has only \(body.count) bytes")
            }
            jsonBytes = UnsafeRawBufferPointer(rebasing: body[0..<headerLength])
            binary = UnsafeRawBufferPointer(rebasing: body[headerLength...])
        } else {
            jsonBytes = body
            binary = UnsafeRawBufferPointer(start: nil, count: 0)
        }
        let document: JSONValue
        do {
            document = try JSONParser.parseInferenceHeader(jsonBytes)
        } catch {
            throw .badRequest("malformed JSON request: \(error)")
        }
        guard case .object(let root) = document else {
            throw .badRequest("the request must be a JSON object, not \(document.kindName)")
        }
        var request = InferenceRequest(inputs: [])
        if let id = root["id"] {
            guard case .string(let text) = id else { throw .badRequest("'id' must be a string") }
            request.id = text
        }
        if let parameters = root["parameters"] {
            guard case .object(let object) = parameters else { throw .badRequest("'parameters' must be an object") }
            if let flag = object["binary_data_output"] {
                guard let value = flag.boolValue else { throw .badRequest("'binary_data_output' must be a boolean") }
                request.binaryDataOutput = value
            }
            if let timeout = object["timeout"] {
                guard let value = timeout.intValue, value >= 0 else {
                    throw .badRequest("'timeout' must be a non-negative integer (microseconds)")
                }
                request.timeoutMicroseconds = value
            }
        }
        guard let inputsValue = root["inputs"] else { throw .badRequest("the request has no 'inputs'") }
        guard case .array(let inputs) = inputsValue else { throw .badRequest("'inputs' must be an array") }
        guard !inputs.isEmpty else { throw .badRequest("'inputs' is empty") }
        var seen = Set<String>()
        for (position, value) in inputs.enumerated() {
            let input = try decodeInput(
                value, position: position, document: jsonBytes, binary: &binary, limits: limits)
            guard seen.insert(input.name).inserted else { throw .badRequest("input '\(input.name)' is given twice") }
            request.inputs.append(input)
        }
        guard binary.isEmpty else {
            throw .badRequest(
                "the body has \(binary.count) bytes of binary data that no input's 'binary_data_size' accounts for")
        }
        if let outputsValue = root["outputs"] {
            guard case .array(let outputs) = outputsValue else { throw .badRequest("'outputs' must be an array") }
            var names = Set<String>()
            request.outputs = try outputs.enumerated().map { (position, value) throws(ServingError) in
                let output = try decodeOutput(value, position: position)
                guard names.insert(output.name).inserted else {
                    throw .badRequest("output '\(output.name)' is requested twice")
                }
                return output
            }
        }
        return request
    }

    private static func decodeInput(
        _ value: JSONValue, position: Int, document: UnsafeRawBufferPointer, binary: inout UnsafeRawBufferPointer,
        limits: DecodingLimits
    ) throws(ServingError) -> Input {
        guard case .object(let object) = value else { throw .badRequest("inputs[\(position)] must be an object") }
        guard let name = object["name"]?.stringValue else {
            throw .badRequest("inputs[\(position)] has no string 'name'")
        }
        guard let typeName = object["datatype"]?.stringValue else {
            throw .badRequest("input '\(name)' has no string 'datatype'")
        }
        guard let dataType = DataType(kserveName: typeName) else {
            if DataType.protocolOnlyNames.contains(typeName) {
                throw .badRequest("input '\(name)' has datatype \(typeName), which the Paddle engine does not support")
            }
            throw .badRequest("input '\(name)' has an unknown datatype '\(typeName)'")
        }
        let shape = try decodeShape(object["shape"], name: name, limits: limits)
        let elementCount = try checkedElementCount(shape, name: name, limits: limits)

        var binarySize: Int?
        if let parameters = object["parameters"] {
            guard case .object(let parameterObject) = parameters else {
                throw .badRequest("input '\(name)': 'parameters' must be an object")
            }
            if let size = parameterObject["binary_data_size"] {
                guard let bytes = size.intValue, bytes >= 0 else {
                    throw .badRequest("input '\(name)': 'binary_data_size' must be a non-negative integer")
                }
                binarySize = bytes
            }
        }
        if let binarySize {
            guard object["data"] == nil else {
                throw .badRequest("input '\(name)' has both 'data' and 'binary_data_size'")
            }
            guard binarySize <= binary.count else {
                throw .badRequest(
                    "input '\(name)' has binary_data_size \(binarySize) but only \(binary.count) bytes of binary "
                        + "data remain in the body")
            }
            let expected = elementCount * dataType.byteSize
            guard binarySize == expected else {
                throw .badRequest(
                    "input '\(name)' of shape \(shape) and datatype \(typeName) needs \(expected) bytes of binary "
                        + "data, binary_data_size is \(binarySize)")
            }
            let slice = UnsafeRawBufferPointer(rebasing: binary[0..<binarySize])
            binary = UnsafeRawBufferPointer(rebasing: binary[binarySize...])
            let tensor = try TensorCodec.tensor(shape: shape, dataType: dataType, binary: slice)
            return Input(name: name, tensor: tensor)
        }
        guard let data = object["data"] else {
            throw .badRequest("input '\(name)' has neither 'data' nor a 'binary_data_size' parameter")
        }
        guard dataType.isJSONRepresentable else {
            throw .badRequest("input '\(name)' has datatype \(typeName), which must be sent as binary data")
        }
        let tensor = try TensorCodec.tensor(
            shape: shape, dataType: dataType, elementCount: elementCount, json: data, document: document,
            name: name)
        return Input(name: name, tensor: tensor)
    }

    private static func decodeShape(
        _ value: JSONValue?, name: String, limits: DecodingLimits
    ) throws(ServingError) -> [Int] {
        guard case .array(let dims)? = value else { throw .badRequest("input '\(name)' has no 'shape' array") }
        guard dims.count <= limits.maximumRank else {
            throw .badRequest("input '\(name)' has rank \(dims.count), more than the limit of \(limits.maximumRank)")
        }
        var shape: [Int] = []
        shape.reserveCapacity(dims.count)
        for dim in dims {
            guard let size = dim.intValue, size >= 0 else {
                throw .badRequest("input '\(name)': every shape dimension must be a non-negative integer")
            }
            shape.append(size)
        }
        return shape
    }

    private static func checkedElementCount(
        _ shape: [Int], name: String, limits: DecodingLimits
    ) throws(ServingError) -> Int {
        var count = 1
        for size in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: size)
            guard !overflow, product <= limits.maximumElements else {
                throw .badRequest(
                    "input '\(name)' of shape \(shape) has more than \(limits.maximumElements) elements")
            }
            count = product
        }
        return count
    }

    private static func decodeOutput(_ value: JSONValue, position: Int) throws(ServingError) -> RequestedOutput {
        guard case .object(let object) = value else { throw .badRequest("outputs[\(position)] must be an object") }
        guard let name = object["name"]?.stringValue else {
            throw .badRequest("outputs[\(position)] has no string 'name'")
        }
        var output = RequestedOutput(name: name, binaryData: nil)
        if let parameters = object["parameters"] {
            guard case .object(let parameterObject) = parameters else {
                throw .badRequest("output '\(name)': 'parameters' must be an object")
            }
            if let flag = parameterObject["binary_data"] {
                guard let binary = flag.boolValue else {
                    throw .badRequest("output '\(name)': 'binary_data' must be a boolean")
                }
                output.binaryData = binary
            }
            if let classification = parameterObject["classification"], classification.intValue != 0 {
                throw .badRequest("output '\(name)': the classification extension is not supported")
            }
        }
        return output
    }
}
