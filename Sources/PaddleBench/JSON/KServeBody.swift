import Foundation

/// A KServe v2 infer request body as tritonclient's HTTP client sends an FP32 input with JSON data.
///
/// tritonclient (`InferInput.set_data_from_numpy(binary_data=False)`) flattens the array and sends it with
/// Python's `json.dumps`: `", "` and `": "` separators, and each float32 value widened to a Python float, so
/// printed as the shortest text that reads back as that double (`0.4590129852294922`, not `0.459013`).
struct KServeBody {
    /// The body's bytes.
    let bytes: [UInt8]
    /// The input's values, as the decoders must return them.
    let values: [Float]

    /// A body of at least `targetBytes` (one input `INPUT0` of shape `[1, n]`, one output asked for as JSON).
    init(targetBytes: Int, seed: UInt64) {
        var generator = SplitMix64(seed: seed)
        var values: [Float] = []
        var data = ""
        let head = #"{"inputs": [{"name": "INPUT0", "shape": [1, COUNT], "datatype": "FP32", "data": ["#
        let tail = #"]}], "outputs": [{"name": "OUTPUT0", "parameters": {"binary_data": false}}]}"#
        while head.utf8.count + data.utf8.count + tail.utf8.count < targetBytes {
            // Values like a normalised image's: uniform in [-2, 2), float32.
            let value = Float(Double(generator.next() >> 11) / Double(1 << 53) * 4 - 2)
            if !values.isEmpty { data += ", " }
            data += "\(Double(value))"
            values.append(value)
        }
        let text = head.replacingOccurrences(of: "COUNT", with: String(values.count)) + data + tail
        self.bytes = Array(text.utf8)
        self.values = values
    }
}

/// SplitMix64: a small deterministic generator, so every run benchmarks the same bodies.
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
