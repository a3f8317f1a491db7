import Foundation
import PaddleOCR

/// Turns the OCR lines of an express-waybill photo into its fields (``Waybill``).
///
/// Steps: the page orientation from the lines' reading directions (`PageFrame`: photos turned by 90°, 180° or
/// 270° and skewed are read in the page's own frame, with no second OCR pass); the receiver's and sender's blocks
/// around their 收/寄 markers or labels, by layout and proximity (`PartyBlocks`); name, phone and address per block,
/// the address split with the bundled divisions table; then, from the other lines, the carrier (printed name, else
/// the number's format), the waybill number (one carrier's format, S10 check digit for EMS), weight, pieces and date.
/// A field that is not found is `nil`: nothing is guessed.
///
/// Thread-safety: `Sendable` and immutable; one reader serves any number of tasks.
///
/// ```swift
/// let ocr = try OCRPipeline()
/// let reader = try WaybillReader()
/// let waybill = reader.read(try await ocr.recognize(imageData: data), image: "photo.jpg")
/// print(waybill.waybillNumber ?? "no number", waybill.receiver?.phone ?? "no phone")
/// ```
public struct WaybillReader: Sendable {
    /// The divisions table addresses are split with.
    public let divisions: DivisionTable
    private let parties: PartyExtractor

    /// A reader with the bundled divisions table.
    /// - Throws: ``WaybillError/divisionsUnavailable`` when the bundled table cannot be read.
    public init() throws(WaybillError) {
        self.init(divisions: try DivisionTable.bundled())
    }

    /// A reader with the given divisions table.
    public init(divisions: DivisionTable) {
        self.divisions = divisions
        parties = PartyExtractor(parser: AddressParser(table: divisions))
    }

    /// The page turn (0, 90, 180 or 270 degrees clockwise) the reader finds for these lines.
    public func pageTurn(of ocr: OCRResult) -> Int { PageFrame(lines: ocr.results).quarterTurn }

    /// Reads the fields of one waybill from its OCR result.
    /// - Parameters:
    ///   - ocr: the pipeline's result for the photo (with direction classification on, so that turned photos read).
    ///   - image: the name reported as `image`.
    public func read(_ ocr: OCRResult, image: String? = nil) -> Waybill {
        let frame = PageFrame(lines: ocr.results)
        let lines = ocr.results.enumerated().map { k, l in
            LayoutLine(index: k, text: l.text, score: l.score, bounds: frame.bounds(l.box))
        }
        .sorted { ($0.bounds.minY, $0.bounds.minX) < ($1.bounds.minY, $1.bounds.minX) }
        var waybill = Waybill(image: image, lines: ocr.results)
        var confidence: [String: Double] = [:]

        let blocks = PartyBlocks(lines: lines)
        for (role, block) in blocks.blocks {
            let result = parties.extract(block)
            guard !result.party.isEmpty else { continue }
            let key = role == .receiver ? "receiver" : "sender"
            if role == .receiver { waybill.receiver = result.party } else { waybill.sender = result.party }
            for (field, score) in result.confidence { confidence["\(key).\(field)"] = score }
        }
        let rest = lines.filter { !blocks.used.contains($0.index) }
        readNumber(rest.isEmpty ? lines : rest, into: &waybill, confidence: &confidence)
        for line in rest {
            if waybill.weightKg == nil, let w = QuantityParser.weightKg(in: line.text) {
                waybill.weightKg = w
                confidence["weight_kg"] = line.score
            }
            if waybill.pieces == nil, let p = QuantityParser.pieces(in: line.text) {
                waybill.pieces = p
                confidence["pieces"] = line.score
            }
            if waybill.date == nil, let d = DateParser.find(in: line.text) {
                waybill.date = d
                confidence["date"] = line.score
            }
        }
        waybill.confidence = confidence
        return waybill
    }

    /// The carrier from its printed name, the number from the carriers' formats, and the carrier from the number
    /// when no name was printed and the format names one carrier only.
    private func readNumber(_ lines: [LayoutLine], into waybill: inout Waybill, confidence: inout [String: Double]) {
        var named: (Carrier, Double)?
        for line in lines {
            if let c = Carrier.named(in: line.text) {
                named = (c, line.score)
                break
            }
        }
        var candidates: [(number: String, carriers: [Carrier], score: Double)] = []
        for line in lines {
            for token in Self.tokens(TextNormalizer.compact(line.text).uppercased()) {
                let carriers = WaybillNumberFormat.carriers(matching: token)
                if !carriers.isEmpty { candidates.append((token, carriers, line.score)) }
            }
        }
        if let (carrier, score) = named {
            waybill.carrier = carrier
            confidence["carrier"] = score
            if let hit = candidates.first(where: { $0.carriers.contains(carrier) }) {
                waybill.waybillNumber = hit.number
                confidence["waybill_number"] = hit.score
            } else if let hit = candidates.first {
                // A number in another carrier's format under this carrier's name: reported, with less confidence.
                waybill.waybillNumber = hit.number
                confidence["waybill_number"] = hit.score * 0.5
            }
        } else if let hit = candidates.first {
            waybill.waybillNumber = hit.number
            confidence["waybill_number"] = hit.score
            if hit.carriers.count == 1 {
                waybill.carrier = hit.carriers[0]
                confidence["carrier"] = hit.score * 0.9
            }
        }
    }

    /// Maximal runs of ASCII letters and digits, with a leading label's letters cut off when digits follow.
    static func tokens(_ text: String) -> [String] {
        var out: [String] = [], cur = ""
        for ch in text {
            if ch.isASCII, ch.isLetter || ch.isNumber {
                cur.append(ch)
            } else {
                if !cur.isEmpty { out.append(cur) }
                cur = ""
            }
        }
        if !cur.isEmpty { out.append(cur) }
        return out
    }
}
