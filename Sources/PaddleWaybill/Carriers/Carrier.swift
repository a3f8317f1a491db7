/// An express carrier: its usual Chinese name and a short code.
public struct Carrier: Sendable, Hashable, Encodable {
    /// The name as the carrier prints it, e.g. `顺丰速运`.
    public var name: String
    /// A short code: `SF`, `JD`, `YTO`, `ZTO`, `STO`, `YUNDA`, `EMS`, `JT`, `DEPPON`.
    public var code: String

    /// A carrier with its printed name and its code.
    public init(name: String, code: String) {
        self.name = name
        self.code = code
    }

    private enum CodingKeys: String, CodingKey { case name, code }
}

extension Carrier {
    static let sf = Carrier(name: "顺丰速运", code: "SF")
    static let jd = Carrier(name: "京东快递", code: "JD")
    static let yto = Carrier(name: "圆通速递", code: "YTO")
    static let zto = Carrier(name: "中通快递", code: "ZTO")
    static let sto = Carrier(name: "申通快递", code: "STO")
    static let yunda = Carrier(name: "韵达快递", code: "YUNDA")
    static let ems = Carrier(name: "中国邮政EMS", code: "EMS")
    static let jt = Carrier(name: "极兔速递", code: "JT")
    static let deppon = Carrier(name: "德邦快递", code: "DEPPON")

    /// Every carrier the reader knows, with the words that name it on a label (longest first when matching).
    public static let known: [Carrier] = [.sf, .jd, .yto, .zto, .sto, .yunda, .ems, .jt, .deppon]

    static let aliases: [(word: String, carrier: Carrier)] = [
        ("顺丰", .sf), ("SF EXPRESS", .sf), ("京东", .jd), ("圆通", .yto), ("中通", .zto), ("申通", .sto),
        ("韵达", .yunda), ("中国邮政", .ems), ("邮政", .ems), ("EMS", .ems), ("极兔", .jt), ("J&T", .jt),
        ("德邦", .deppon),
    ]

    /// The carrier a printed line names, if any (`顺丰速运` → SF).
    static func named(in text: String) -> Carrier? {
        let upper = text.uppercased()
        return aliases.first { upper.contains($0.word) }?.carrier
    }
}
