/// Text clean-up before parsing: full-width ASCII to half-width, the ideographic space to a space, `：` to `:`.
enum TextNormalizer {
    static func halfWidth(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for s in text.unicodeScalars {
            switch s.value {
            case 0xFF01...0xFF5E: out.append(Unicode.Scalar(s.value - 0xFEE0)!)
            case 0x3000: out.append(" ")
            default: out.append(s)
            }
        }
        return String(out)
    }

    /// Removes every space (waybills group digits, OCR splits words; no field here needs inner spaces).
    static func compact(_ text: String) -> String {
        String(halfWidth(text).unicodeScalars.filter { !$0.properties.isWhitespace })
    }

    /// Whether the scalar is a CJK unified ideograph (the characters of Chinese names).
    static func isHan(_ c: Character) -> Bool {
        guard let s = c.unicodeScalars.first, c.unicodeScalars.count == 1 else { return false }
        return (0x4E00...0x9FFF).contains(s.value) || (0x3400...0x4DBF).contains(s.value)
    }
}
