/// A receiver or sender block: name, phone and address, each `nil` when not found.
public struct WaybillParty: Sendable, Hashable, Encodable {
    /// The person's or company's name.
    public var name: String?
    /// A full 11-digit mobile number, a landline (`0755-12345678`), or a masked mobile (`138****1234`).
    public var phone: String?
    /// The address, split by the administrative divisions table.
    public var address: WaybillAddress?

    /// A party from the fields found (`nil` for those not found).
    public init(name: String? = nil, phone: String? = nil, address: WaybillAddress? = nil) {
        self.name = name
        self.phone = phone
        self.address = address
    }

    /// Whether nothing was found.
    public var isEmpty: Bool { name == nil && phone == nil && address == nil }

    private enum CodingKeys: String, CodingKey { case name, phone, address }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(phone, forKey: .phone)
        try c.encode(address, forKey: .address)
    }
}
