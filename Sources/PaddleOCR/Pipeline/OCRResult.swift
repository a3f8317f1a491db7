/// A point in original-image pixels. Encodes to JSON as `[x, y]`.
public struct OCRPoint: Sendable, Hashable, Codable {
    /// Horizontal position, from the left edge.
    public var x: Double
    /// Vertical position, from the top edge.
    public var y: Double

    /// A point at (`x`, `y`).
    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }

    /// Decodes `[x, y]`.
    public init(from decoder: any Decoder) throws {
        var c = try decoder.unkeyedContainer()
        x = try c.decode(Double.self)
        y = try c.decode(Double.self)
    }

    /// Encodes `[x, y]`.
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

    /// A line with its box, text and score (and, where the direction classifier ran, whether it was turned).
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
    /// Text detection: resizing, the engine run and box post-processing (not image decoding).
    public var detection: Double = 0
    /// Direction classification of the line crops, their rotation included.
    public var classification: Double = 0
    /// Recognition, including CTC decoding.
    public var recognition: Double = 0
    /// Decoding the image's bytes, when the pipeline decoded them (``OCRPipeline/recognize(imageData:)``); 0 for
    /// an image given decoded. Not part of ``total``.
    public var decoding: Double = 0
    /// The three stages together.
    public var total: Double { detection + classification + recognition }
    /// Timings with these seconds.
    public init(detection: Double = 0, classification: Double = 0, recognition: Double = 0, decoding: Double = 0) {
        self.detection = detection
        self.classification = classification
        self.recognition = recognition
        self.decoding = decoding
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
    /// The recognised image's width in pixels, after EXIF orientation (0 when unknown; not part of the JSON form).
    public var imageWidth: Int = 0
    /// The recognised image's height in pixels, after EXIF orientation (0 when unknown; not part of the JSON form).
    public var imageHeight: Int = 0

    /// A result with these lines and timings.
    public init(results: [OCRLine], timings: OCRTimings = OCRTimings()) {
        self.results = results
        self.timings = timings
    }

    private enum CodingKeys: String, CodingKey { case results }

    /// Decodes the JSON form; the timings are zero.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        results = try c.decode([OCRLine].self, forKey: .results)
        timings = OCRTimings()
    }

    /// Encodes the JSON form, without the timings.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(results, forKey: .results)
    }
}
