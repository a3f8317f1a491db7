import Foundation

/// Reads name, phone and address out of one block's lines, row by row in the page frame.
///
/// Rows are read top to bottom, each left to right; the anchor's own remainder (`收件人:张三` → `张三`) comes first.
/// Labels (`姓名:`, `电话:`, `手机:`, `联系电话:`, `地址:`) are dropped. The first phone found is the phone; on the
/// rows before the address starts, 2–5 Chinese characters left once the phone and labels are gone are the name;
/// everything else, joined in reading order, is the address (an address wrapped over two rows is joined back).
struct PartyExtractor: Sendable {
    let parser: AddressParser

    struct Result: Sendable {
        var party: WaybillParty
        /// Per field (`name`, `phone`, `address`): the lowest score of the lines it came from.
        var confidence: [String: Double]
        var lineIndices: [Int]
    }

    private static let labels = ["联系电话:", "联系人:", "手机号:", "手机:", "电话:", "姓名:", "名字:", "TEL:", "Tel:"]

    func extract(_ block: PartyBlocks.Block) -> Result {
        // Segments in reading order: (text, score, row number).
        var rows: [[LayoutLine]] = []
        for line in block.lines.sorted(by: { $0.bounds.midY < $1.bounds.midY }) {
            if let k = rows.lastIndex(where: { $0.contains { $0.sharesRow(with: line) } }) {
                rows[k].append(line)
            } else {
                rows.append([line])
            }
        }
        var segments: [(text: String, score: Double, row: Int)] = []
        let anchor = block.anchor.line
        let anchorRow = rows.firstIndex { $0.contains { $0.sharesRow(with: anchor) } }
        if anchorRow == nil, !block.anchor.remainder.isEmpty {
            segments.append((block.anchor.remainder, anchor.score, -1))
        }
        for (r, row) in rows.enumerated() {
            var items = row.map { ($0.bounds.minX, TextNormalizer.compact($0.text), $0.score) }
            if r == anchorRow, !block.anchor.remainder.isEmpty {
                items.append((anchor.bounds.minX, block.anchor.remainder, anchor.score))
            }
            for item in items.sorted(by: { $0.0 < $1.0 }) { segments.append((item.1, item.2, r)) }
        }
        var party = WaybillParty()
        var confidence: [String: Double] = [:]
        var addressParts: [String] = []
        var addressScore = 1.0
        var addressStarted = false
        for (text, score, _) in segments {
            var text = text
            var isAddressLabel = false
            for label in ["收件地址:", "寄件地址:", "详细地址:", "地址:"] where text.hasPrefix(label) {
                text = String(text.dropFirst(label.count))
                isAddressLabel = true
            }
            var stripped = true
            while stripped {
                stripped = false
                for label in Self.labels where text.hasPrefix(label) {
                    text = String(text.dropFirst(label.count))
                    stripped = true
                }
                while text.first == ":" { text.removeFirst() }
            }
            if party.phone == nil, !isAddressLabel, let match = PhoneParser.find(in: text) {
                party.phone = match.phone
                confidence["phone"] = score
                text = match.remainder
                for label in Self.labels where text.hasSuffix(label) { text = String(text.dropLast(label.count)) }
                text = text.trimmingCharacters(in: [":", ",", "，", " "])
            }
            if text.isEmpty { continue }
            if !addressStarted, !isAddressLabel, party.name == nil, let fixed = Self.dashAsYi(text), Self.looksLikeName(fixed) {
                text = fixed
            }
            if !addressStarted, !isAddressLabel, party.name == nil, Self.looksLikeName(text) {
                party.name = text
                confidence["name"] = score
                continue
            }
            addressStarted = true
            addressParts.append(text)
            addressScore = min(addressScore, score)
        }
        if !addressParts.isEmpty, let address = parser.parse(addressParts.joined()) {
            party.address = address
            confidence["address"] = address.district == nil ? addressScore * 0.5 : (address.districtCorrected ? addressScore * 0.8 : addressScore)
        }
        var indices = [anchor.index]
        indices += block.lines.map(\.index)
        return Result(party: party, confidence: confidence, lineIndices: indices)
    }

    /// A name whose last character 一 OCR read as a dash (`龙—` → `龙一`): the same stroke, and no name ends in a dash.
    static func dashAsYi(_ text: String) -> String? {
        guard let last = text.last, "—–-－一".contains(last), text.count >= 2,
            text.dropLast().allSatisfy(TextNormalizer.isHan)
        else { return nil }
        return String(text.dropLast()) + "一"
    }

    /// 2 to 5 Chinese characters, none of them a division or street word.
    static func looksLikeName(_ text: String) -> Bool {
        guard (2...5).contains(text.count), text.allSatisfy(TextNormalizer.isHan) else { return false }
        return !text.contains { "省市区县路街号镇乡村栋楼室".contains($0) } || text.count <= 3 && !text.hasSuffix("市") && !text.hasSuffix("区")
    }
}
