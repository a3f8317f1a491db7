import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PaddleTestSupport
import Testing

@testable import KServeProtocol
@testable import PaddleModelRepository
@testable import PaddleServing

/// Sends 100 000 random and mutated requests and checks that every one gets a 4xx answer (never a crash or 5xx).
@Suite struct InferenceServerFuzzTests {
    /// A small deterministic generator (SplitMix64), so a failure can be replayed.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let seeds: [String] = [
        #"{"inputs":[{"name":"x","datatype":"FP32","shape":[1,3,48,192],"data":[1,2,3]}]}"#,
        #"{"id":"a","inputs":[{"name":"x","datatype":"FP32","shape":[2,3,48,192],"data":[[1.5,-2e10],[3]]}],"outputs":[{"name":"softmax_0.tmp_0","parameters":{"binary_data":true}}]}"#,
        #"{"inputs":[{"name":"x","datatype":"INT64","shape":[1,3,48,192],"data":[9223372036854775808]}]}"#,
        #"{"inputs":[{"name":"x","datatype":"FP32","shape":[99999999999,99999999999],"data":[1]}]}"#,
        #"{"inputs":[{"name":"x","datatype":"BYTES","shape":[1],"data":["abc"]}]}"#,
        #"{"inputs":[{"name":"x","datatype":"FP16","shape":[1,3,48,192],"data":[1]}],"parameters":{"binary_data_output":true}}"#,
        #"{"inputs":[{"name":"x","datatype":"FP32","shape":[1,3,48,192],"parameters":{"binary_data_size":16}}]}"#,
        #"{"inputs":[{"name":"x","datatype":"BOOL","shape":[1,3,48,192],"data":[true,false,2]}]}"#,
    ]

    static let tokens = [
        "{", "}", "[", "]", ",", ":", "\"", "-", "1e999", "NaN", "-0", "18446744073709551616", "null", "true", "\\u",
        "\"shape\"", "\"data\"", "\"inputs\"", "\"binary_data_size\"", "[-1]", "[0]", "1.5", "\u{0}", "\u{FF}",
    ]

    static func mutate(_ seed: [UInt8], rng: inout SplitMix) -> [UInt8] {
        var bytes = seed
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            guard !bytes.isEmpty else { break }
            let position = Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0..<6, using: &rng) {
            case 0: bytes[position] = UInt8.random(in: 0...255, using: &rng)
            case 1: bytes.removeSubrange(position...)
            case 2: bytes.insert(contentsOf: Array(tokens.randomElement(using: &rng)!.utf8), at: position)
            case 3: bytes.remove(at: position)
            case 4:
                let end = min(bytes.count, position + Int.random(in: 1...16, using: &rng))
                bytes.insert(contentsOf: bytes[position..<end], at: position)
            default:
                if let digit = bytes.indices.filter({ bytes[$0] >= 0x30 && bytes[$0] <= 0x39 }).randomElement(using: &rng) {
                    bytes.insert(contentsOf: Array(String(repeating: "9", count: Int.random(in: 1...30, using: &rng)).utf8), at: digit)
                }
            }
        }
        return bytes
    }

    @Test(.timeLimit(.minutes(10)))
    func fuzz_100kRandomAndMutatedRequests_allGet4xx() async throws {
        let server = try await TestModels.makeServer(
            config: "warmup: false\ninputs:\n  - name: x\n    dims: [-1, 3, 48, 192]\n",
            configuration: { var c = ServingConfiguration(port: 0); c.maxBodyBytes = 64 << 10; return c }())
        let app = Application(router: server.makeRouter())
        let total = 100_000
        try await app.test(.router) { client in
            var rng = SplitMix(state: 0x5EED)
            var statuses: [Int: Int] = [:]
            for iteration in 0..<total {
                var headers = HTTPFields()
                let body: [UInt8]
                let seed = Array(Self.seeds.randomElement(using: &rng)!.utf8)
                switch iteration % 5 {
                case 0:
                    body = (0..<Int.random(in: 0...64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                case 1:
                    // Binary framing with a header length that may not fit.
                    var framed = seed
                    framed += (0..<Int.random(in: 0...40, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                    body = framed
                    let lengths = [seed.count, seed.count - 1, seed.count + 3, 0, framed.count + 1, -5]
                    headers[.inferenceHeaderContentLength] = String(lengths.randomElement(using: &rng)!)
                case 2:
                    headers[.contentEncoding] = ["gzip", "deflate", "br"].randomElement(using: &rng)!
                    body = Self.mutate(seed, rng: &rng)
                default:
                    body = Self.mutate(seed, rng: &rng)
                }
                let uri = iteration % 97 == 0 ? "/v2/models/cls/versions/\(Int.random(in: -2...3, using: &rng))/infer" : "/v2/models/cls/infer"
                let status = try await client.execute(
                    uri: uri, method: .post, headers: headers, body: ByteBuffer(bytes: body)
                ) { $0.status.code }
                statuses[status, default: 0] += 1
                if !(400..<500).contains(status) {
                    Issue.record("request \(iteration) got \(status): \(String(decoding: body.prefix(200), as: UTF8.self))")
                }
            }
            #expect(statuses.values.reduce(0, +) == total)
        }
        await server.repository.shutdown()
    }
}
