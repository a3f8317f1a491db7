/// A point in original-image pixels. Encodes to JSON as `[x, y]`.
public struct OCRPoint: Sendable, Hashable, Codable {
    public var x: Double
    public var y: Double

    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }

    public init(from decoder: any Decoder) throws {
        var c = try decoder.unkeyedContainer()
        x = try c.decode(Double.self)
        y = try c.decode(Double.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.unkeyedContainer()
        try c.encode(x)
        try c.encode(y)
    }
}

/// One recognised text line.
public struct OCRLine: Sendable, Hashable, Codable {
    /// Four corners: top-left, top-right, bottom-right, bottom-left, in original-image pixels.
    public var box: [OCRPoint]
    /// The recognised text.
    public var text: String
    /// Mean character probability (0...1).
    public var score: Double
    /// Whether the direction classifier found the line upside down and turned its crop by 180° before recognition;
    /// `nil` when classification is off. With the box and the crop's 90° turn for tall boxes, this gives the line's
    /// reading direction in the image (the page orientation). Not part of the JSON form.
    public var rotated180: Bool?

    public init(box: [OCRPoint], text: String, score: Double, rotated180: Bool? = nil) {
        self.box = box
        self.text = text
        self.score = score
        self.rotated180 = rotated180
    }

    private enum CodingKeys: String, CodingKey { case box, text, score }
}

/// Seconds spent in each model stage (pre- and post-processing included).
public struct OCRTimings: Sendable, Hashable {
    public var detection: Double = 0
    public var classification: Double = 0
    public var recognition: Double = 0
    public var total: Double { detection + classification + recognition }
    public init(detection: Double = 0, classification: Double = 0, recognition: Double = 0) {
        self.detection = detection
        self.classification = classification
        self.recognition = recognition
    }
}

/// What ``OCRPipeline`` returns: the lines in reading order, plus timings.
///
/// Encodes to JSON exactly as `{"results": [{"box": [[x,y],[x,y],[x,y],[x,y]], "text": ..., "score": ...}]}`
/// (timings are not encoded).
public struct OCRResult: Sendable, Hashable, Codable {
    /// Lines with score >= the text-score threshold, in reading order.
    public var results: [OCRLine]
    /// Per-stage seconds (not part of the JSON form).
    public var timings: OCRTimings

    public init(results: [OCRLine], timings: OCRTimings = OCRTimings()) {
        self.results = results
        self.timings = timings
    }

    private enum CodingKeys: String, CodingKey { case results }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        results = try c.decode([OCRLine].self, forKey: .results)
        timings = OCRTimings()
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(results, forKey: .results)
    }
}
