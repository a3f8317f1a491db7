/// Dates as waybills print them: `2026-03-15`, `2026/3/15`, `2026.03.15`, `2026年3月15日`, with or without a time.
public enum DateParser {
    /// The first valid date in `text` as ISO 8601 `YYYY-MM-DD`, or `nil`. Years 2000–2099; the day must exist in
    /// its month (29 February only in a leap year).
    public static func find(in text: String) -> String? {
        // Each space-separated word first (a time may follow the date), then the whole text without spaces.
        let words = TextNormalizer.halfWidth(text).split(whereSeparator: \.isWhitespace).map(String.init)
        for candidate in words + [TextNormalizer.compact(text)] {
            if let date = find(Array(candidate)) { return date }
        }
        return nil
    }

    private static func find(_ c: [Character]) -> String? {
        var i = 0
        while i + 7 < c.count {
            if c[i] == "2", c[i + 1] == "0", i == 0 || !isDigit(c[i - 1]), let date = parse(c, from: i) { return date }
            i += 1
        }
        return nil
    }

    private static func isDigit(_ c: Character) -> Bool { c.isASCII && c.isNumber }

    private static func number(_ c: [Character], _ k: inout Int, maxDigits: Int) -> Int? {
        var v = 0, n = 0
        while k < c.count, n < maxDigits, isDigit(c[k]) {
            v = v * 10 + Int(String(c[k]))!
            k += 1
            n += 1
        }
        return n == 0 ? nil : v
    }

    private static func parse(_ c: [Character], from i: Int) -> String? {
        var k = i
        guard let year = number(c, &k, maxDigits: 4), k - i == 4, k < c.count else { return nil }
        let sep = c[k]
        guard "-/.年".contains(sep) else { return nil }
        k += 1
        guard let month = number(c, &k, maxDigits: 2), k < c.count else { return nil }
        let sep2: Character = sep == "年" ? "月" : sep
        guard c[k] == sep2 else { return nil }
        k += 1
        let dayStart = k
        guard let day = number(c, &k, maxDigits: 2), k - dayStart >= 1 else { return nil }
        // A time written right after the day (`2024-02-2610:12`, as OCR joins them) ends the date.
        if k < c.count, isDigit(c[k]), !isTime(c, from: k) { return nil }
        guard (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year) else { return nil }
        return "\(year)-\(month < 10 ? "0" : "")\(month)-\(day < 10 ? "0" : "")\(day)"
    }

    /// `H:MM` or `HH:MM` at `k`.
    private static func isTime(_ c: [Character], from k: Int) -> Bool {
        var i = k
        while i < c.count, i - k < 2, isDigit(c[i]) { i += 1 }
        guard i > k, i + 2 < c.count, c[i] == ":", isDigit(c[i + 1]), isDigit(c[i + 2]) else { return false }
        return true
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}
