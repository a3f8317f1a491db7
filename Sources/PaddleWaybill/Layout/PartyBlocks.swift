/// Groups the lines of the receiver's and the sender's blocks around their 收 and 寄 markers, by layout.
///
/// An anchor is a line that starts with a role word: a marker alone (`收`, `寄`) or a label (`收件人:`, `收货人`,
/// `寄件人`, `发件人`, ...). A line belongs to the nearest anchor above it whose left edge is not to its right (so
/// blocks side by side in two columns and blocks stacked one above the other both work), as long as the block stays
/// contiguous: a vertical gap of more than one line height ends it, and so does a line that carries another field
/// (weight, date, number, remarks). When one marker was not read and a block holds two phone numbers, the block is
/// split at the second phone's row and the lower part gets the missing role.
struct PartyBlocks: Sendable {
    enum Role: Sendable, Hashable { case receiver, sender }

    struct Anchor: Sendable {
        var role: Role
        var line: LayoutLine
        /// The anchor line's text after the role word (`收件人:张三` → `张三`).
        var remainder: String
    }

    struct Block: Sendable {
        var anchor: Anchor
        var lines: [LayoutLine] = []
    }

    private(set) var blocks: [Role: Block] = [:]

    /// Lines that belong to either block (anchors included).
    var used: Set<Int> {
        var s = Set<Int>()
        for b in blocks.values {
            s.insert(b.anchor.line.index)
            for l in b.lines { s.insert(l.index) }
        }
        return s
    }

    private static let receiverWords = ["收件人", "收货人", "收件方", "收方", "收件", "收"]
    private static let senderWords = ["寄件人", "发件人", "发货人", "寄件方", "寄方", "寄件", "寄"]
    private static let notAnchorAfterWord = ["日期", "时间", "件日", "件时", "到", "费"]
    /// Words of lines that carry other fields and so never belong to a block.
    static let otherFieldWords = [
        "重量", "件数", "数量", "日期", "时间", "物品", "内件", "备注", "签收", "运单", "单号", "快件送达", "代收",
    ]

    /// The role word at the start of `text`, and the text after it.
    static func anchor(_ text: String) -> (Role, String)? {
        let t = TextNormalizer.compact(text)
        for (role, words) in [(Role.receiver, receiverWords), (.sender, senderWords)] {
            for w in words where t.hasPrefix(w) {
                var rest = Substring(t.dropFirst(w.count))
                if notAnchorAfterWord.contains(where: { rest.hasPrefix($0) }) { return nil }
                while rest.first == ":" { rest = rest.dropFirst() }
                return (role, String(rest))
            }
        }
        return nil
    }

    init(lines: [LayoutLine]) {
        var anchors: [Anchor] = []
        for line in lines {
            guard let (role, rest) = Self.anchor(line.text) else { continue }
            // A second anchor of the same role (a 收件人 label inside the 收 block) keeps the first, topmost one.
            if let k = anchors.firstIndex(where: { $0.role == role }) {
                if line.bounds.minY < anchors[k].line.bounds.minY { anchors[k] = Anchor(role: role, line: line, remainder: rest) }
                continue
            }
            anchors.append(Anchor(role: role, line: line, remainder: rest))
        }
        guard !anchors.isEmpty else { return }
        let anchorIndices = Set(anchors.map(\.line.index))
        let heights = lines.map(\.bounds.height).sorted()
        let typical = heights.isEmpty ? 30 : heights[heights.count / 2]
        // A framed marker sits lower than the first row of its block: the block starts at the top of the highest
        // line to its right that overlaps it vertically.
        var tops = [Double]()
        for a in anchors {
            var top = a.line.bounds.minY
            for line in lines where line.index != a.line.index && line.bounds.minX >= a.line.bounds.minX {
                let overlap = min(line.bounds.maxY, a.line.bounds.maxY) - max(line.bounds.minY, a.line.bounds.minY)
                if overlap > 0, line.bounds.minY >= a.line.bounds.minY - a.line.bounds.height { top = min(top, line.bounds.minY) }
            }
            tops.append(top)
        }
        var members: [Int: [LayoutLine]] = [:]
        for line in lines where !anchorIndices.contains(line.index) {
            let compact = TextNormalizer.compact(line.text)
            if Self.otherFieldWords.contains(where: { compact.contains($0) }) { continue }
            if Carrier.named(in: compact) != nil, PhoneParser.find(in: compact) == nil { continue }
            if DateParser.find(in: compact) != nil, PhoneParser.find(in: compact) == nil { continue }
            let tol = 0.3 * typical
            var best: Int?
            for (k, a) in anchors.enumerated() {
                guard tops[k] <= line.bounds.minY + tol, a.line.bounds.minX <= line.bounds.minX + 2 * tol else { continue }
                if let b = best {
                    let other = anchors[b].line.bounds
                    if tops[k] > tops[b] + tol || (abs(tops[k] - tops[b]) <= tol && a.line.bounds.minX > other.minX) {
                        best = k
                    }
                } else {
                    best = k
                }
            }
            if let best { members[best, default: []].append(line) }
        }
        for (k, anchor) in anchors.enumerated() {
            // Keep the contiguous run below the anchor: stop at the first gap of more than one line height.
            let sorted = (members[k] ?? []).sorted { $0.bounds.minY < $1.bounds.minY }
            var kept: [LayoutLine] = []
            var bottom = anchor.line.bounds.maxY
            for line in sorted {
                if line.bounds.minY - bottom > 1.0 * max(typical, line.bounds.height) { break }
                kept.append(line)
                bottom = max(bottom, line.bounds.maxY)
            }
            blocks[anchor.role] = Block(anchor: anchor, lines: kept)
        }
        splitIfOneMarkerMissing()
        adoptLeftoverParty(lines, typical: typical)
    }

    /// With one role found and, outside every block, a contiguous group of lines led by a row with a phone (the
    /// other block, whose marker was not read): that group is the other role's block.
    private mutating func adoptLeftoverParty(_ lines: [LayoutLine], typical: Double) {
        guard blocks.count == 1, let role = blocks.keys.first else { return }
        let taken = used
        let free = lines.filter { line in
            let compact = TextNormalizer.compact(line.text)
            return !taken.contains(line.index) && !Self.otherFieldWords.contains { compact.contains($0) }
                && Carrier.named(in: compact) == nil && DateParser.find(in: compact) == nil
                && !WaybillReader.tokens(compact.uppercased()).contains { !WaybillNumberFormat.carriers(matching: $0).isEmpty }
        }
        .sorted { $0.bounds.minY < $1.bounds.minY }
        guard let phoneLine = free.first(where: { PhoneParser.find(in: $0.text) != nil }) else { return }
        let rowStart = free.filter { $0.sharesRow(with: phoneLine) }
        guard let leader = rowStart.min(by: { $0.bounds.minX < $1.bounds.minX }) else { return }
        var group = rowStart
        var bottom = rowStart.map(\.bounds.maxY).max() ?? phoneLine.bounds.maxY
        for line in free where line.bounds.minY > phoneLine.bounds.minY && !rowStart.contains(where: { $0.index == line.index }) {
            if line.bounds.minY - bottom > 1.0 * max(typical, line.bounds.height) { break }
            if line.bounds.maxX < leader.bounds.minX { continue }
            group.append(line)
            bottom = max(bottom, line.bounds.maxY)
        }
        let other: Role = role == .receiver ? .sender : .receiver
        blocks[other] = Block(
            anchor: Anchor(role: other, line: leader, remainder: TextNormalizer.compact(leader.text)),
            lines: group.filter { $0.index != leader.index })
    }

    /// With one role found and two phones in its block, the rows from the second phone on are the other role's.
    private mutating func splitIfOneMarkerMissing() {
        guard blocks.count == 1, let (role, block) = blocks.first else { return }
        let rows = block.lines.sorted { $0.bounds.minY < $1.bounds.minY }
        var phoneRows: [LayoutLine] = PhoneParser.find(in: block.anchor.remainder) != nil ? [block.anchor.line] : []
        for line in rows where PhoneParser.find(in: line.text) != nil {
            if let last = phoneRows.last, last.sharesRow(with: line) { continue }
            phoneRows.append(line)
        }
        guard phoneRows.count >= 2 else { return }
        let first = phoneRows[1]
        let lower = rows.filter { $0.sharesRow(with: first) || $0.bounds.minY > first.bounds.minY }
        let upper = rows.filter { l in !lower.contains { $0.index == l.index } }
        // The phone line leads the new block (a name beside it is read with its row; a line of the address that
        // starts further left is not mistaken for the block's start).
        let other: Role = role == .receiver ? .sender : .receiver
        blocks[role] = Block(anchor: block.anchor, lines: upper)
        blocks[other] = Block(
            anchor: Anchor(role: other, line: first, remainder: TextNormalizer.compact(first.text)),
            lines: lower.filter { $0.index != first.index })
    }
}
