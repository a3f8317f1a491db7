/// A Chinese postal address split into province, city (prefecture), district (county) and the rest.
///
/// For the four municipalities (北京, 天津, 上海, 重庆) `city` repeats the province, as most waybill systems print
/// it. `full` is the four parts joined without separators (the city once for a municipality) when the divisions were
/// recognised, else the text as read.
public struct WaybillAddress: Sendable, Hashable, Encodable {
    /// The province-level division (province, municipality, autonomous region), full name.
    public var province: String?
    /// The prefecture-level city, full name (a municipality's is `nil` unless printed).
    public var city: String?
    /// The county-level division: district, county or county-level city.
    public var district: String?
    /// Street, number, building, room: what follows the divisions.
    public var detail: String?
    /// The address as one string: the divisions found, then the detail.
    public var full: String
    /// Whether the district was matched with one character misread or lost (not part of the JSON form).
    public var districtCorrected = false

    /// An address from its parts; `full` is the whole address as one string.
    public init(province: String? = nil, city: String? = nil, district: String? = nil, detail: String? = nil, full: String) {
        self.province = province
        self.city = city
        self.district = district
        self.detail = detail
        self.full = full
    }

    private enum CodingKeys: String, CodingKey { case province, city, district, detail, full }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(province, forKey: .province)
        try c.encode(city, forKey: .city)
        try c.encode(district, forKey: .district)
        try c.encode(detail, forKey: .detail)
        try c.encode(full, forKey: .full)
    }
}
