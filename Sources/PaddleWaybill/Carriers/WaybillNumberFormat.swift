/// Waybill-number formats of the known carriers, and the check digits where a carrier defines one.
///
/// | carrier | format |
/// | --- | --- |
/// | SF | `SF` + 12–15 digits |
/// | JD | `JD` + 2 letters/digits + 11 digits (`JD00…`, `JDVA…`, `JDX…`) |
/// | YTO | `YT` + 13 digits |
/// | ZTO | 12 or 14 digits starting with 7 (not 77 at 13 digits) |
/// | STO | 13 digits starting with 77 |
/// | YUNDA | 13 or 15 digits starting with 3 or 4 |
/// | EMS | UPU S10: 2 letters, 8 digits, a check digit, `CN` (`EA123456785CN`); the check digit is verified |
/// | JT | `JT` + 13 digits |
/// | DEPPON | `DPK` + 12 digits |
///
/// Only the UPU S10 format (EMS) defines a check digit; the others publish none, so for them the format, the length
/// and the recognition score are all the check there is.
public enum WaybillNumberFormat {
    /// The carriers whose format `number` has (uppercase, no spaces). More than one means the number alone cannot
    /// tell the carrier; an S10 number with a wrong check digit matches none.
    public static func carriers(matching number: String) -> [Carrier] {
        let chars = Array(number.utf8)
        guard chars.count >= 12, chars.count <= 17 else { return [] }
        func digits(_ from: Int) -> Bool { chars[from...].allSatisfy(isDigit) }
        func prefix(_ p: String) -> Bool { number.hasPrefix(p) }
        var found: [Carrier] = []
        if prefix("SF"), (14...17).contains(chars.count), digits(2) { found.append(.sf) }
        if prefix("JD"), chars.count == 15, isAlnum(chars[2]), isAlnum(chars[3]), digits(4) { found.append(.jd) }
        if prefix("YT"), chars.count == 15, digits(2) { found.append(.yto) }
        if prefix("JT"), chars.count == 15, digits(2) { found.append(.jt) }
        if prefix("DPK"), chars.count == 15, digits(3) { found.append(.deppon) }
        if digits(0) {
            let first = chars[0], second = chars[1]
            if first == UInt8(ascii: "7"), chars.count == 12 || chars.count == 14 { found.append(.zto) }
            if first == UInt8(ascii: "7"), second == UInt8(ascii: "7"), chars.count == 13 { found.append(.sto) }
            if first == UInt8(ascii: "3") || first == UInt8(ascii: "4"), chars.count == 13 || chars.count == 15 {
                found.append(.yunda)
            }
        }
        if isS10(number) { found.append(.ems) }
        return found
    }

    /// Whether `number` is a UPU S10 item identifier of China Post (`EA123456785CN`) with a correct check digit.
    public static func isS10(_ number: String) -> Bool {
        let c = Array(number.utf8)
        guard c.count == 13, c[0] == UInt8(ascii: "E"), isUpper(c[1]), c[2..<11].allSatisfy(isDigit),
            c[11] == UInt8(ascii: "C"), c[12] == UInt8(ascii: "N")
        else { return false }
        return s10CheckDigit(c[2..<10].map { Int($0) - 48 }) == Int(c[10]) - 48
    }

    /// The S10 check digit of 8 serial digits: weights 8 6 4 2 3 5 9 7, 11 − sum mod 11, with 10 → 0 and 11 → 5.
    public static func s10CheckDigit(_ serial: [Int]) -> Int {
        let weights = [8, 6, 4, 2, 3, 5, 9, 7]
        let c = 11 - zip(serial, weights).reduce(0) { $0 + $1.0 * $1.1 } % 11
        return c == 10 ? 0 : (c == 11 ? 5 : c)
    }

    private static func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
    private static func isUpper(_ c: UInt8) -> Bool { c >= 65 && c <= 90 }
    private static func isAlnum(_ c: UInt8) -> Bool { isDigit(c) || isUpper(c) }
}
