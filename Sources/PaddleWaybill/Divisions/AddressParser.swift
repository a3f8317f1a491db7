/// Splits an address into province, city, district and detail with a ``DivisionTable``.
///
/// Matching runs from the start of the address (spaces removed): a province by full or short name (`广东省`,
/// `广东`), then a city of that province, then a district of that city, each optional; a missing upper level is
/// filled in from the lower one found (a district of a known province gives its city; a city gives its province).
/// A district is looked for only under a known province or city, so nothing is guessed from a bare district name.
/// Short names match only when the next character does not start a street (`中山路` is no district `中山`).
public struct AddressParser: Sendable {
    /// The divisions the parser matches against.
    public let table: DivisionTable

    /// A parser over `table` (usually ``DivisionTable/bundled()``).
    public init(table: DivisionTable) { self.table = table }

    /// The address in `text`, or `nil` for empty text. Leading labels such as `地址:` are dropped.
    public func parse(_ text: String) -> WaybillAddress? {
        var s = TextNormalizer.compact(text)
        for label in ["收件地址:", "寄件地址:", "收货地址:", "详细地址:", "地址:", "地址"] where s.hasPrefix(label) {
            s = String(s.dropFirst(label.count))
            break
        }
        guard !s.isEmpty else { return nil }
        let chars = Array(s)
        var pos = 0
        var province = longest(table.provinces, chars, at: &pos)
        var city: DivisionTable.Division?
        var district: DivisionTable.Division?
        let municipality = province.map(table.isMunicipality) ?? false
        if let p = province, municipality {
            // 北京市北京市朝阳区, 上海市市辖区…: a repeated name or the placeholder is skipped.
            _ = longest([p], chars, at: &pos)
            _ = literal("市辖区", chars, at: &pos)
        } else {
            let candidates = province.map { table.cities[String($0.code.prefix(2))] ?? [] }
                ?? table.cities.values.flatMap { $0 }
            city = longest(candidates.filter { !table.isPlaceholder($0) }, chars, at: &pos)
        }
        let districtCandidates: [DivisionTable.Division]
        if let c = city {
            districtCandidates = table.districts[String(c.code.prefix(4))] ?? []
        } else if let p = province {
            districtCandidates = table.districtsByProvince[String(p.code.prefix(2))] ?? []
        } else {
            districtCandidates = []
        }
        district = longest(districtCandidates, chars, at: &pos)
        var corrected = false
        if district == nil, city != nil || municipality, let d = nearDistrict(districtCandidates, chars, at: &pos) {
            district = d
            corrected = true
        }
        if city == nil, !municipality, let d = district, let c = table.division(code: String(d.code.prefix(4)) + "00"),
            !table.isPlaceholder(c)
        {
            city = c
        }
        if province == nil, let c = city ?? district {
            province = table.division(code: String(c.code.prefix(2)) + "0000")
        }
        let rest = String(chars[pos...])
        let detail = rest.isEmpty ? nil : rest
        let cityName = municipality ? province?.name : city?.name
        let full: String
        if let p = province, let d = district, let cn = cityName {
            full = p.name + (municipality ? "" : cn) + d.name + rest
        } else {
            full = s
        }
        var address = WaybillAddress(province: province?.name, city: cityName, district: district?.name, detail: detail, full: full)
        address.districtCorrected = corrected
        return address
    }

    private static let streetStarts: Set<Character> = ["路", "街", "道", "巷", "号", "大", "村", "弄", "里"]

    /// The candidate whose full name, or else short name, is longest at `pos`; advances `pos` past it.
    private func longest(_ candidates: [DivisionTable.Division], _ chars: [Character], at pos: inout Int)
        -> DivisionTable.Division?
    {
        var best: (DivisionTable.Division, Int)?
        for d in candidates {
            if matches(d.name, chars, at: pos), d.name.count > (best?.1 ?? 0) { best = (d, d.name.count) }
        }
        if best == nil {
            for d in candidates {
                guard let short = d.shortName, matches(short, chars, at: pos), short.count > (best?.1 ?? 0) else { continue }
                let next = pos + short.count
                if next < chars.count, Self.streetStarts.contains(chars[next]) { continue }
                best = (d, short.count)
            }
        }
        guard let (d, n) = best else { return nil }
        pos += n
        return d
    }

    /// The one district of a known city that the text has with one character misread or its first character lost
    /// (`鄂城区` for 郾城区, `城县` for 郯城县, as OCR gives rare characters); `nil` when none or several fit.
    private func nearDistrict(_ candidates: [DivisionTable.Division], _ chars: [Character], at pos: inout Int)
        -> DivisionTable.Division?
    {
        var found: [(DivisionTable.Division, Int)] = []
        for d in candidates where d.name.count >= 3 {
            let name = Array(d.name)
            if pos + name.count <= chars.count {
                let diff = zip(name, chars[pos..<(pos + name.count)]).filter { $0 != $1 }.count
                // One substitution, never in the level suffix.
                if diff == 1, name.last == chars[pos + name.count - 1] { found.append((d, name.count)) }
            }
            if matches(String(name.dropFirst()), chars, at: pos) { found.append((d, name.count - 1)) }
        }
        guard found.count == 1 else { return nil }
        pos += found[0].1
        return found[0].0
    }

    private func literal(_ word: String, _ chars: [Character], at pos: inout Int) -> Bool {
        guard matches(word, chars, at: pos) else { return false }
        pos += word.count
        return true
    }

    private func matches(_ word: String, _ chars: [Character], at pos: Int) -> Bool {
        var k = pos
        for ch in word {
            guard k < chars.count, chars[k] == ch else { return false }
            k += 1
        }
        return true
    }
}
