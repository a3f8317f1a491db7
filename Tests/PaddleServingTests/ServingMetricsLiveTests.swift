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

/// `GET /metrics` in each ``MetricsFormat``, read after real inference over a live port: Triton's counters, the
/// CPU gauges and the `process_*` metrics, in a text exposition that parses.
@Suite struct ServingMetricsLiveTests {
    /// Two batch-1 requests, one batch-2 request and one request with an unknown input, then a scrape.
    private static func scrape(format: MetricsFormat, config: String = "max_batch_size: 4\n") async throws
        -> PrometheusText
    {
        let server = try await TestModels.makeServer(config: config, metrics: ServingMetrics(format: format))
        let text = try await server.makeApplication().test(.live) { client in
            for batch in [1, 2, 1] {
                try await client.execute(
                    uri: "/v2/models/cls/infer", method: .post, body: TestModels.jsonInferBody(batch: batch)
                ) { #expect($0.status == .ok) }
            }
            let wrongInput = ByteBuffer(
                string: #"{"inputs":[{"name":"y","datatype":"FP32","shape":[1],"data":[1]}]}"#)
            try await client.execute(uri: "/v2/models/cls/infer", method: .post, body: wrongInput) {
                #expect($0.status == .badRequest)
            }
            return try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                return String(buffer: response.body)
            }
        }
        await server.repository.shutdown()
        return try PrometheusText(text)
    }

    @Test func tritonFormat_countsRealInferencesUnderTritonNames() async throws {
        let metrics = try await Self.scrape(format: .triton)
        let model = ["model": "cls", "version": "1"]
        #expect(metrics.value("nv_inference_request_success", model) == 3)
        #expect(metrics.value("nv_inference_count", model) == 4)  // 1 + 2 + 1 inferences
        #expect(metrics.value("nv_inference_exec_count", model) == 3)
        #expect(metrics.value("nv_inference_request_failure", model.merging(["reason": "OTHER"]) { $1 }) == 1)
        #expect(metrics.value("nv_inference_request_failure", model.merging(["reason": "BACKEND"]) { $1 }) == 0)
        let request = try #require(metrics.value("nv_inference_request_duration_us", model))
        let queue = try #require(metrics.value("nv_inference_queue_duration_us", model))
        let compute = try #require(metrics.value("nv_inference_compute_infer_duration_us", model))
        #expect(compute > 0)
        #expect(request >= compute + queue)
        for name in [
            "nv_inference_request_success", "nv_inference_request_failure", "nv_inference_count",
            "nv_inference_exec_count", "nv_inference_request_duration_us", "nv_inference_queue_duration_us",
            "nv_inference_compute_infer_duration_us",
        ] {
            #expect(metrics.types[name] == "counter", "\(name)")
        }
        for name in ["nv_cpu_utilization", "nv_cpu_memory_used_bytes", "nv_cpu_memory_total_bytes"] {
            #expect(metrics.types[name] == "gauge", "\(name)")
        }
        let utilization = try #require(metrics.value("nv_cpu_utilization", [:]))
        #expect((0...1).contains(utilization))
        let used = try #require(metrics.value("nv_cpu_memory_used_bytes", [:]))
        let total = try #require(metrics.value("nv_cpu_memory_total_bytes", [:]))
        #expect(used > 0 && used < total)
        #expect(!metrics.types.keys.contains { $0.hasPrefix("paddle_") })
        Self.expectProcessMetrics(metrics)
    }

    @Test func bothFormats_exportPaddleAndTritonNamesSideBySide() async throws {
        let metrics = try await Self.scrape(format: .both)
        let model = ["model": "cls", "version": "1"]
        #expect(metrics.value("nv_inference_request_success", model) == 3)
        #expect(metrics.value("paddle_inference_success_total", model) == 3)
        #expect(metrics.value("paddle_inference_failure_total", model) == 1)
        Self.expectProcessMetrics(metrics)
    }

    @Test func paddleFormat_exportsNoTritonNames() async throws {
        let metrics = try await Self.scrape(format: .paddle)
        #expect(metrics.value("paddle_inference_success_total", ["model": "cls", "version": "1"]) == 3)
        #expect(!metrics.types.keys.contains { $0.hasPrefix("nv_") })
        Self.expectProcessMetrics(metrics)
    }

    @Test func metricsPort_servesMetricsAlone() async throws {
        let server = try await TestModels.makeServer(metrics: ServingMetrics(format: .triton))
        try await server.makeMetricsApplication(port: 0).test(.live) { client in
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                let metrics = try PrometheusText(String(buffer: response.body))
                #expect(metrics.value("nv_inference_request_success", ["model": "cls", "version": "1"]) == 0)
            }
            try await client.execute(uri: "/v2/health/live", method: .get) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/v2/models/cls/infer", method: .post, body: TestModels.jsonInferBody()) {
                #expect($0.status == .notFound)
            }
        }
        await server.repository.shutdown()
    }

    /// The `process_*` metrics of the Prometheus client conventions, with values this process can have.
    private static func expectProcessMetrics(_ metrics: PrometheusText) {
        #expect(metrics.types["process_cpu_seconds_total"] == "counter")
        #expect((metrics.value("process_cpu_seconds_total", [:]) ?? 0) > 0)
        #expect((metrics.value("process_resident_memory_bytes", [:]) ?? 0) > Double(1 << 20))
        #expect((metrics.value("process_virtual_memory_bytes", [:]) ?? 0) > Double(1 << 20))
        let open = metrics.value("process_open_fds", [:]) ?? 0
        let max = metrics.value("process_max_fds", [:]) ?? 0
        #expect(open >= 3 && open <= max)
        let start = metrics.value("process_start_time_seconds", [:]) ?? 0
        let now = Date().timeIntervalSince1970
        #expect(start > now - 86_400 * 30 && start <= now + 1)
    }
}

/// A strict reader of the Prometheus text exposition format 0.0.4: every line is a `# HELP`, a `# TYPE` or a
/// sample of a family whose `# TYPE` came first, with valid names, quoted label values and a float value.
struct PrometheusText {
    struct Sample {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    struct ParseError: Error, CustomStringConvertible {
        var description: String
    }

    private(set) var types: [String: String] = [:]
    private(set) var samples: [Sample] = []

    init(_ text: String) throws {
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.hasPrefix("# TYPE ") {
                let parts = line.dropFirst(7).split(separator: " ")
                guard parts.count == 2, Self.isName(parts[0]),
                    ["counter", "gauge", "histogram", "summary", "untyped"].contains(parts[1])
                else { throw ParseError(description: "bad TYPE line: \(line)") }
                guard types[String(parts[0])] == nil else { throw ParseError(description: "second TYPE: \(line)") }
                types[String(parts[0])] = String(parts[1])
            } else if line.hasPrefix("# HELP ") {
                guard let name = line.dropFirst(7).split(separator: " ").first, Self.isName(name) else {
                    throw ParseError(description: "bad HELP line: \(line)")
                }
            } else if line.hasPrefix("#") {
                continue
            } else {
                let sample = try Self.sample(line)
                let family = types.keys.contains(sample.name)
                    ? sample.name
                    : ["_bucket", "_sum", "_count"].compactMap { suffix in
                        sample.name.hasSuffix(suffix) ? String(sample.name.dropLast(suffix.count)) : nil
                    }.first { types[$0] == "histogram" || types[$0] == "summary" }
                guard family != nil else { throw ParseError(description: "sample before its TYPE: \(line)") }
                samples.append(sample)
            }
        }
    }

    /// The value of the sample `name` with exactly `labels`.
    func value(_ name: String, _ labels: [String: String]) -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }

    private static func isName(_ name: Substring) -> Bool {
        guard let first = name.first, first.isLetter || first == "_" || first == ":" else { return false }
        return name.allSatisfy { ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "_" || $0 == ":" }
    }

    private static func sample(_ line: Substring) throws -> Sample {
        var rest = line[...]
        let nameEnd = rest.firstIndex { $0 == "{" || $0 == " " } ?? rest.endIndex
        let name = rest[..<nameEnd]
        guard isName(name) else { throw ParseError(description: "bad metric name: \(line)") }
        rest = rest[nameEnd...]
        var labels: [String: String] = [:]
        if rest.first == "{" {
            rest = rest.dropFirst()
            while rest.first != "}" {
                guard let equals = rest.firstIndex(of: "=") else { throw ParseError(description: "bad labels: \(line)") }
                let label = rest[..<equals]
                guard isName(label), rest[rest.index(after: equals)...].first == "\"" else {
                    throw ParseError(description: "bad label: \(line)")
                }
                rest = rest[rest.index(equals, offsetBy: 2)...]
                var value = ""
                var escaped = false
                while let character = rest.first {
                    rest = rest.dropFirst()
                    if escaped {
                        value.append(character == "n" ? "\n" : character)
                        escaped = false
                    } else if character == "\\" {
                        escaped = true
                    } else if character == "\"" {
                        break
                    } else {
                        value.append(character)
                    }
                }
                labels[String(label)] = value
                if rest.first == "," { rest = rest.dropFirst() }
                guard !rest.isEmpty else { throw ParseError(description: "unclosed labels: \(line)") }
            }
            rest = rest.dropFirst()
        }
        let fields = rest.split(separator: " ")
        guard (1...2).contains(fields.count), let value = Self.number(fields[0]) else {
            throw ParseError(description: "bad value: \(line)")
        }
        return Sample(name: String(name), labels: labels, value: value)
    }

    private static func number(_ text: Substring) -> Double? {
        switch text {
        case "+Inf": .infinity
        case "-Inf": -.infinity
        case "NaN": .nan
        default: Double(text)
        }
    }
}
