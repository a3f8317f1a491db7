import PaddleInference
import PaddleTestSupport
import Testing

@testable import KServeProtocol

@Suite struct InferenceRequestDecodingTests {
    private func decode(_ text: String, binary: [UInt8]? = nil) throws -> InferenceRequest {
        var body = Array(text.utf8)
        let header = binary == nil ? nil : body.count
        body += binary ?? []
        let copy = body
        return try copy.withUnsafeBytes { bytes in
            try InferenceRequest.decode(body: bytes, headerLength: header)
        }
    }

    private func status(_ text: String, binary: [UInt8]? = nil) -> Int? {
        do {
            _ = try decode(text, binary: binary)
            return nil
        } catch {
            return (error as? ServingError)?.status.code ?? -1
        }
    }

    @Test func decode_nestedAndFlatData_giveTheSameTensor() throws {
        let nested = try decode(#"{"inputs":[{"name":"a","datatype":"INT32","shape":[2,2],"data":[[1,2],[3,4]]}]}"#)
        let flat = try decode(#"{"inputs":[{"name":"a","datatype":"INT32","shape":[2,2],"data":[1,2,3,4]}]}"#)
        #expect(nested.inputs[0].tensor == flat.inputs[0].tensor)
        #expect(try nested.inputs[0].tensor.scalars(as: Int32.self) == [1, 2, 3, 4])
    }

    @Test func decode_everyJSONDatatype_convertsValues() throws {
        let cases: [(String, String, DataType)] = [
            ("FP32", "[1.5,-2]", .float32), ("FP64", "[1.5,-2]", .float64), ("INT64", "[9007199254740993,-2]", .int64),
            ("INT32", "[7,-2]", .int32), ("INT8", "[127,-128]", .int8), ("UINT8", "[255,0]", .uint8),
            ("BOOL", "[true,false]", .bool),
        ]
        for (name, data, type) in cases {
            let request = try decode(#"{"inputs":[{"name":"a","datatype":"\#(name)","shape":[2],"data":\#(data)}]}"#)
            #expect(request.inputs[0].tensor.dataType == type)
        }
        let int64 = try decode(#"{"inputs":[{"name":"a","datatype":"INT64","shape":[1],"data":[9007199254740993]}]}"#)
        #expect(try int64.inputs[0].tensor.scalars(as: Int64.self) == [9_007_199_254_740_993])
    }

    @Test func decode_binaryInputs_readSegmentsInOrder() throws {
        let half: [UInt8] = [0x00, 0x3C, 0x00, 0x40]  // FP16 1.0, 2.0
        let request = try decode(
            #"{"inputs":[{"name":"h","datatype":"FP16","shape":[2],"parameters":{"binary_data_size":4}},"#
                + #"{"name":"b","datatype":"BOOL","shape":[2],"parameters":{"binary_data_size":2}},"#
                + #"{"name":"j","datatype":"INT32","shape":[1],"data":[5]}],"#
                + #""outputs":[{"name":"o","parameters":{"binary_data":true}}]}"#,
            binary: half + [0, 7])
        #expect(try request.inputs[0].tensor.scalars(as: Float16.self) == [1, 2])
        #expect(try request.inputs[1].tensor.scalars(as: Bool.self) == [false, true])
        #expect(request.outputs == [.init(name: "o", binaryData: true)])
    }

    @Test func decode_badRequests_give400() {
        let cases: [(String, [UInt8]?)] = [
            ("not json", nil),
            ("[]", nil),
            (#"{"inputs":[]}"#, nil),
            (#"{"inputs":[{"name":"a","datatype":"FP32","shape":[3],"data":[1,2]}]}"#, nil),
            (#"{"inputs":[{"name":"a","datatype":"FP32","shape":[-1],"data":[1]}]}"#, nil),
            (#"{"inputs":[{"name":"a","datatype":"FP32","shape":[1],"data":["x"]}]}"#, nil),
            (#"{"inputs":[{"name":"a","datatype":"BYTES","shape":[1],"data":["x"]}]}"#, nil),
            (#"{"inputs":[{"name":"a","datatype":"FP16","shape":[1],"data":[1]}]}"#, nil),
            (#"{"inputs":[{"name":"a","datatype":"INT8","shape":[1],"data":[128]}]}"#, nil),
            (#"{"inputs":[{"name":"a","datatype":"INT64","shape":[1],"data":[1.5]}]}"#, nil),
            (#"{"inputs":[{"name":"a","datatype":"FP32","shape":[1],"data":[1e300]}]}"#, nil),
            (#"{"inputs":[{"name":"a","datatype":"FP32","shape":[4611686018427387904,4],"data":[1]}]}"#, nil),
            (#"{"inputs":[{"name":"a","datatype":"FP32","shape":[2],"parameters":{"binary_data_size":8}}]}"#, [1, 2, 3]),
            (#"{"inputs":[{"name":"a","datatype":"FP32","shape":[2],"parameters":{"binary_data_size":4}}]}"#, [1, 2, 3, 4]),
            (#"{"inputs":[{"name":"a","datatype":"FP32","shape":[1],"parameters":{"binary_data_size":4}}]}"#, [1, 2, 3, 4, 5]),
            (#"{"inputs":[{"name":"a","datatype":"FP32","shape":[1],"data":[1]},{"name":"a","datatype":"FP32","shape":[1],"data":[1]}]}"#, nil),
            (#"{"inputs":[{"name":"a","datatype":"FP32","shape":[1],"data":[1]}],"outputs":{}}"#, nil),
        ]
        for (text, binary) in cases {
            #expect(status(text, binary: binary) == 400, "\(text)")
        }
    }

    /// Input `data` arrays are parsed once, straight into the tensor (deferred by the header parse): their syntax
    /// and contents are still checked as strictly as the rest of the document.
    @Test func decode_dataArrays_parsedIntoTheTensor_strictly() throws {
        let spaced = try decode(
            " {\"inputs\" : [ {\"data\" : [ [ 1.25 , -2e1 ] ,\n [ NaN, 4 ] ], \"name\":\"a\",\"datatype\":\"FP64\",\"shape\":[2,2]} ] } ")
        let values = try spaced.inputs[0].tensor.scalars(as: Double.self)
        #expect(values[0] == 1.25 && values[1] == -20 && values[2].isNaN && values[3] == 4)
        // Arrays named `data` elsewhere are parsed as any other value.
        let elsewhere = try decode(
            #"{"parameters":{"data":[1,"]"]},"inputs":[{"name":"a","datatype":"INT8","shape":[1],"data":[5],"parameters":{"data":[[]]}}]}"#)
        #expect(try elsewhere.inputs[0].tensor.scalars(as: Int8.self) == [5])
        let deep = String(repeating: "[", count: 70) + "1" + String(repeating: "]", count: 70)
        let malformed = [
            "[1,,2]", "[1 2]", "[1,2", "[1,2,]", "[01]", "[1.]", "[tru]", "[1,{\"a\":\"]\"}]", "[\"]\",1]", "[null]",
            "[[1],[2]", deep,
        ]
        for data in malformed {
            let text = #"{"inputs":[{"name":"a","datatype":"FP32","shape":[2],"data":"# + data + "}]}"
            #expect(status(text) == 400, "\(data)")
        }
        // Too many values: the message counts them all.
        do {
            _ = try decode(#"{"inputs":[{"name":"a","datatype":"FP32","shape":[2],"data":[1,2,3,[4]]}]}"#)
            Issue.record("four values for two were accepted")
        } catch let error as ServingError {
            #expect(error.message.contains("'data' has 4"), "\(error.message)")
        }
    }

    @Test func decode_headerLongerThanBody_gives400() {
        let body = Array(#"{"inputs":[]}"#.utf8)
        #expect(throws: ServingError.self) {
            try body.withUnsafeBytes { bytes in
                _ = try InferenceRequest.decode(body: bytes, headerLength: 1000)
            }
        }
    }

    @Test func response_binaryAndJSONOutputs_encodeBoth() throws {
        let ints = try Tensor(shape: [2], scalars: [Int32(1), 2])
        let halves = try Tensor(shape: [1], scalars: [Float16(1)])
        let response = InferenceResponse(
            modelName: "m", modelVersion: "1", id: "x",
            outputs: [.init(name: "a", tensor: ints, binary: false), .init(name: "h", tensor: halves, binary: false)])
        let (body, headerLength) = response.encode()
        let length = try #require(headerLength)
        #expect(body.readableBytes == length + 2)
        let header = try body.getSlice(at: 0, length: length)!.withUnsafeReadableBytes { try JSONParser.parse($0) }
        #expect(header["outputs"]?.arrayValue?[0]["data"] == .array([.number(.int(1)), .number(.int(2))]))
        #expect(header["outputs"]?.arrayValue?[1]["parameters"]?["binary_data_size"] == .number(.int(2)))
    }
}
