import Foundation

/// Weight and piece count after their labels: `重量：1.5kg`, `计费重量:2KG`, `重量:3公斤`, `件数：2件`, `数量:1`.
public enum QuantityParser {
    /// The weight in kilograms after a 重量 label (units kg, KG, 公斤, 千克, or g/克 divided by 1000; kg when none).
    public static func weightKg(in text: String) -> Double? {
        let c = TextNormalizer.compact(text)
        guard let r = c.range(of: "重量") else { return nil }
        var rest = Substring(c[r.upperBound...])
        if rest.first == ":" { rest = rest.dropFirst() }
        let number = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
        guard !number.isEmpty, number.first != ".", let value = Double(number) else { return nil }
        let unit = rest.dropFirst(number.count).uppercased()
        if unit.hasPrefix("KG") || unit.hasPrefix("公斤") || unit.hasPrefix("千克") || unit.isEmpty { return value }
        if unit.hasPrefix("G") || unit.hasPrefix("克") { return value / 1000 }
        return value
    }

    /// The number of pieces after a 件数 or 数量 label.
    public static func pieces(in text: String) -> Int? {
        let c = TextNormalizer.compact(text)
        guard let r = c.range(of: "件数") ?? c.range(of: "数量") else { return nil }
        var rest = Substring(c[r.upperBound...])
        if rest.first == ":" { rest = rest.dropFirst() }
        let number = rest.prefix { $0.isASCII && $0.isNumber }
        guard !number.isEmpty, number.count <= 4, let value = Int(number), value > 0 else { return nil }
        return value
    }
}
