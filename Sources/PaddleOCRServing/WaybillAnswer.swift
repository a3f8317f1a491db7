import Foundation
import PaddleWaybill

/// The body of a `POST /v1/waybill` answer: the waybill's own JSON (what `paddle-swift waybill --json` prints, every
/// key of ``PaddleWaybill/Waybill``) with one more key, `timings`: seconds by stage.
struct WaybillAnswer: Encodable {
    var waybill: Waybill
    /// Seconds by stage: `decode`, `det`, `cls`, `rec`, `total` (as `/v1/ocr` reports them, summed over the OCR
    /// passes), `upright` (turning the image for a second pass) and `read` (the fields from the lines).
    var timings: [String: Double]

    private enum CodingKeys: String, CodingKey { case timings }

    func encode(to encoder: any Encoder) throws {
        try waybill.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(timings, forKey: .timings)
    }

    /// The JSON in UTF-8: keys sorted, slashes unescaped, like ``PaddleWaybill/WaybillJSON/encode(_:)``.
    func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}
