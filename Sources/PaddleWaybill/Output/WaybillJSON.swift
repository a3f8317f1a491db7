import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The JSON body of a ``Waybill``, in UTF-8 or GBK.
public enum WaybillJSON {
    /// The waybill as one line of JSON (keys sorted, slashes unescaped, characters as UTF-8, not `\u` escapes).
    public static func encode(_ waybill: Waybill) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(waybill)
    }

    /// The same JSON encoded in GBK (the character set of the downstream systems that expect `charset=gbk`).
    /// - Throws: ``WaybillError/notEncodable`` when the text has a character GBK lacks.
    public static func encodeGBK(_ waybill: Waybill) throws -> Data {
        try gbk(String(decoding: encode(waybill), as: UTF8.self))
    }

    /// `text` in GBK, through the C library's iconv.
    /// - Throws: ``WaybillError/notEncodable`` naming the first character GBK lacks.
    public static func gbk(_ text: String) throws(WaybillError) -> Data {
        let cd = iconv_open("GBK", "UTF-8")
        guard cd != iconv_t(bitPattern: -1) else { throw .notEncodable("iconv has no UTF-8 to GBK converter") }
        defer { iconv_close(cd) }
        var input = Array(text.utf8)
        var output = [UInt8](repeating: 0, count: input.count * 2 + 16)
        let inCount = input.count
        let (result, left, written): (Int, Int, Int) = input.withUnsafeMutableBufferPointer { inBuf in
            output.withUnsafeMutableBufferPointer { outBuf in
                var inPtr: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(inBuf.baseAddress!)
                    .assumingMemoryBound(to: CChar.self)
                var outPtr: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(outBuf.baseAddress!)
                    .assumingMemoryBound(to: CChar.self)
                var inLeft = inCount, outLeft = outBuf.count
                let r = iconv(cd, &inPtr, &inLeft, &outPtr, &outLeft)
                return (r, inLeft, outBuf.count - outLeft)
            }
        }
        guard result != -1, left == 0 else {
            let offset = inCount - left
            let bad = String(decoding: input[offset...].prefix(4), as: UTF8.self).first.map(String.init) ?? "?"
            throw .notEncodable("\"\(bad)\" at byte \(offset) has no GBK code")
        }
        return Data(output[..<written])
    }
}
