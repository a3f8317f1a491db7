import PaddleOCR

/// The fields read from one express-waybill photo.
///
/// Encodes to JSON with exactly these names, a field that was not found being `null` (never a guess):
/// `{"image", "carrier": {"name", "code"}, "waybill_number", "receiver": {"name", "phone", "address": {"province",
/// "city", "district", "detail", "full"}}, "sender": {...}, "weight_kg", "pieces", "date", "confidence": {field:
/// score}, "lines": [{"box", "text", "score"}]}`.
///
/// `confidence` has one entry per field found, keyed by its JSON path (`waybill_number`, `receiver.phone`,
/// `sender.address`, ...): the lowest OCR score among the lines the field came from, lowered when a check fails
/// (see ``WaybillReader``).
public struct Waybill: Sendable, Hashable, Encodable {
    /// The image's name or path, as the caller gave it.
    public var image: String?
    /// The carrier, from its printed name or else from the number's format.
    public var carrier: Carrier?
    /// The waybill number as printed (spaces removed), when it has one carrier's format.
    public var waybillNumber: String?
    /// The receiver's block (the one marked 收).
    public var receiver: WaybillParty?
    /// The sender's block (the one marked 寄).
    public var sender: WaybillParty?
    /// The weight in kilograms.
    public var weightKg: Double?
    /// The number of pieces.
    public var pieces: Int?
    /// The date printed on the waybill, ISO 8601 (`YYYY-MM-DD`).
    public var date: String?
    /// Per field found: a score in 0...1.
    public var confidence: [String: Double]
    /// The OCR lines the fields were read from, in the pipeline's order.
    public var lines: [OCRLine]

    /// A waybill from its fields; every field not given is `nil` (not found).
    public init(
        image: String? = nil, carrier: Carrier? = nil, waybillNumber: String? = nil, receiver: WaybillParty? = nil,
        sender: WaybillParty? = nil, weightKg: Double? = nil, pieces: Int? = nil, date: String? = nil,
        confidence: [String: Double] = [:], lines: [OCRLine] = []
    ) {
        self.image = image
        self.carrier = carrier
        self.waybillNumber = waybillNumber
        self.receiver = receiver
        self.sender = sender
        self.weightKg = weightKg
        self.pieces = pieces
        self.date = date
        self.confidence = confidence
        self.lines = lines
    }

    private enum CodingKeys: String, CodingKey {
        case image, carrier, waybillNumber = "waybill_number", receiver, sender, weightKg = "weight_kg", pieces, date
        case confidence, lines
    }

    /// Writes every key, `null` for a field not found.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(image, forKey: .image)
        try c.encode(carrier, forKey: .carrier)
        try c.encode(waybillNumber, forKey: .waybillNumber)
        try c.encode(receiver, forKey: .receiver)
        try c.encode(sender, forKey: .sender)
        try c.encode(weightKg, forKey: .weightKg)
        try c.encode(pieces, forKey: .pieces)
        try c.encode(date, forKey: .date)
        try c.encode(confidence, forKey: .confidence)
        try c.encode(lines, forKey: .lines)
    }
}
