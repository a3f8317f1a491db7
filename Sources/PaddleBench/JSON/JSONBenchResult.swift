import Foundation

/// One row of `paddle-bench json`: a body size and stage, and each decoder's median seconds per decode.
struct JSONBenchResult: Codable {
    enum Stage: String, Codable, CaseIterable {
        /// The document into the parser's own values.
        case parse
        /// The body into checked input tensors (what the server needs).
        case tensors
    }

    let bodyBytes: Int
    let values: Int
    let stage: Stage
    /// Median seconds per decode, by decoder name.
    let medianSeconds: [String: Double]

    /// Foundation's median over ours: above 1 means ours is faster.
    func ratio(_ decoder: RequestDecoder) -> Double {
        medianSeconds[decoder.rawValue]! / medianSeconds[RequestDecoder.jsonParser.rawValue]!
    }

    var markdownRow: String {
        let times = RequestDecoder.allCases.map { Self.format(medianSeconds[$0.rawValue]!) }
        return "| \(Self.formatBytes(bodyBytes)) | \(values) | \(stage.rawValue) | \(times.joined(separator: " | ")) | "
            + "\(Self.formatRatio(ratio(.jsonSerialization))) | \(Self.formatRatio(ratio(.jsonDecoder))) |"
    }

    static func format(_ seconds: Double) -> String {
        if seconds >= 1 { return String(format: "%.2f s", seconds) }
        if seconds >= 1e-3 { return String(format: "%.2f ms", seconds * 1e3) }
        return String(format: "%.1f µs", seconds * 1e6)
    }

    static func formatRatio(_ ratio: Double) -> String { String(format: "%.2fx", ratio) }

    static func formatBytes(_ bytes: Int) -> String {
        if bytes >= 1_000_000 { return String(format: "%.1f MB", Double(bytes) / 1e6) }
        if bytes >= 1_000 { return String(format: "%.1f KB", Double(bytes) / 1e3) }
        return "\(bytes) B"
    }
}
