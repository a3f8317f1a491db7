import Foundation

/// Chinese phone numbers in a line of text.
///
/// Kinds: an 11-digit mobile (`1[3-9]` + 9 digits), a masked mobile (`138****1234`: 3 digits, 3 to 5 asterisks as
/// OCR reads them, 4 digits; returned with the 4 asterisks every carrier prints), and a landline with its area code
/// and a hyphen (`0755-12345678`, `021-87654321`, `0898-5521328`). Digits must not touch the match on either side,
/// so a 12-digit run is no mobile.
public enum PhoneParser {
    /// A phone found in a text: the normalised number and where it was in the compacted text.
    public struct Match: Sendable, Hashable {
        /// The number as carriers print it: 11 digits, `138****1234` (4 asterisks), or `0755-12345678`.
        public var phone: String
        /// The compacted text without the phone (what remains for the name, for instance).
        public var remainder: String
    }

    /// The first phone in `text` (spaces ignored), or `nil`.
    public static func find(in text: String) -> Match? {
        let compact = TextNormalizer.compact(text).replacingOccurrences(of: "×", with: "*")
            .replacingOccurrences(of: "＊", with: "*")
        let chars = Array(compact)
        var i = 0
        while i < chars.count {
            if let (phone, length) = match(chars, at: i) {
                let remainder = String(chars[..<i]) + String(chars[(i + length)...])
                return Match(phone: phone, remainder: remainder)
            }
            i += 1
        }
        return nil
    }

    private static func isDigit(_ c: Character) -> Bool { c.isASCII && c.isNumber }

    private static func match(_ c: [Character], at i: Int) -> (String, Int)? {
        if i > 0, isDigit(c[i - 1]) { return nil }
        func digits(from: Int) -> Int {
            var k = from
            while k < c.count, isDigit(c[k]) { k += 1 }
            return k - from
        }
        let run = digits(from: i)
        // Landline: 0 + 2-3 digit area, hyphen, 7-8 digits.
        if c[i] == "0", (3...4).contains(run), i + run < c.count, c[i + run] == "-" || c[i + run] == "—" {
            let local = digits(from: i + run + 1)
            if (7...8).contains(local), !(i + run + 1 + local < c.count && c[i + run + 1 + local] == "-") {
                return (String(c[i..<(i + run)]) + "-" + String(c[(i + run + 1)..<(i + run + 1 + local)]), run + 1 + local)
            }
        }
        guard c[i] == "1", i + 1 < c.count, ("3"..."9").contains(c[i + 1]) else { return nil }
        if run == 11 { return (String(c[i..<(i + 11)]), 11) }
        // Masked: 3 digits, 3-5 stars, 4 digits.
        if run == 3 {
            var k = i + 3
            while k < c.count, c[k] == "*" { k += 1 }
            let stars = k - i - 3
            if (3...5).contains(stars), digits(from: k) == 4 {
                return (String(c[i..<(i + 3)]) + "****" + String(c[k..<(k + 4)]), k + 4 - i)
            }
        }
        return nil
    }
}
