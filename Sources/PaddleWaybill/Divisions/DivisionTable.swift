import Foundation

/// China's administrative divisions at province, prefecture (city) and county (district) level.
///
/// The bundled table (`divisions.tsv`, 3,511 rows `code<TAB>name`) comes from the `adcodes.csv` of the `cpca` 0.5.5
/// package (MIT licence), whose 12-digit codes are the statistical division codes of the National Bureau of
/// Statistics; see `Resources/DIVISIONS-SOURCE.md`. Codes: `PP0000` province, `PPCC00` prefecture, `PPCCDD` county.
///
/// Thread-safety: immutable after `init`; share one table.
public final class DivisionTable: Sendable {
    /// One division.
    public struct Division: Sendable, Hashable {
        /// The 6-digit code.
        public let code: String
        /// The full name (`广东省`, `深圳市`, `南山区`).
        public let name: String
        /// The name without its level suffix when that leaves at least two characters (`广东`, `深圳`, `南山`).
        public let shortName: String?
    }

    let provinces: [Division]
    /// Prefecture-level divisions by province code prefix (2 digits).
    let cities: [String: [Division]]
    /// County-level divisions by prefecture code prefix (4 digits).
    let districts: [String: [Division]]
    /// County-level divisions by province code prefix (2 digits).
    let districtsByProvince: [String: [Division]]
    let byCode: [String: Division]

    /// The table bundled with the library.
    /// - Throws: ``WaybillError/divisionsUnavailable`` when the resource is missing or unreadable.
    public static func bundled() throws(WaybillError) -> DivisionTable {
        switch cached {
        case .success(let table): return table
        case .failure(let error): throw error
        }
    }

    private static let cached: Result<DivisionTable, WaybillError> = {
        // SwiftPM's `embedInCode` resource: the file's bytes are compiled into the library.
        let table = DivisionTable(tsv: String(decoding: PackageResources.divisions_tsv, as: UTF8.self))
        guard !table.provinces.isEmpty else {
            return .failure(.divisionsUnavailable("the embedded divisions table holds no province"))
        }
        return .success(table)
    }()

    /// A table from `code<TAB>name` lines (6-digit codes).
    public init(tsv: String) {
        var byCode: [String: Division] = [:]
        for line in tsv.split(whereSeparator: \.isNewline) {
            let parts = line.split(separator: "\t")
            guard parts.count == 2, parts[0].count == 6 else { continue }
            let code = String(parts[0]), name = String(parts[1])
            byCode[code] = Division(code: code, name: name, shortName: Self.shortName(name, level: Self.level(code)))
        }
        var provinces: [Division] = [], cities: [String: [Division]] = [:], districts: [String: [Division]] = [:]
        var districtsByProvince: [String: [Division]] = [:]
        for d in byCode.values.sorted(by: { $0.code < $1.code }) {
            let p = String(d.code.prefix(2)), pc = String(d.code.prefix(4))
            switch Self.level(d.code) {
            case 1: provinces.append(d)
            case 2: cities[p, default: []].append(d)
            default:
                districts[pc, default: []].append(d)
                districtsByProvince[p, default: []].append(d)
            }
        }
        self.provinces = provinces
        self.cities = cities
        self.districts = districts
        self.districtsByProvince = districtsByProvince
        self.byCode = byCode
    }

    /// Number of divisions in the table.
    public var count: Int { byCode.count }

    /// The division with this 6-digit code.
    public func division(code: String) -> Division? { byCode[code] }

    /// Whether the province is one of the four municipalities, whose prefecture level is a placeholder.
    func isMunicipality(_ province: Division) -> Bool { ["11", "12", "31", "50"].contains(String(province.code.prefix(2))) }

    /// Whether a prefecture-level row is a placeholder (`市辖区`, `县`, `省直辖县级行政区划`) rather than a city.
    func isPlaceholder(_ city: Division) -> Bool {
        city.name == "市辖区" || city.name == "县" || city.name.hasSuffix("直辖县级行政区划")
    }

    static func level(_ code: String) -> Int {
        if code.hasSuffix("0000") { return 1 }
        if code.hasSuffix("00") { return 2 }
        return 3
    }

    private static let suffixes = [
        "维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "自治州", "自治县", "地区", "省", "市",
        "盟", "区", "县", "旗",
    ]

    static func shortName(_ name: String, level: Int) -> String? {
        guard name != "市辖区", name != "县" else { return nil }
        for s in suffixes where name.hasSuffix(s) {
            let short = String(name.dropLast(s.count))
            // 自治州/自治县 names keep their ethnic words; only a bare two-or-more-character stem is a short name.
            if s == "自治州" || s == "自治县" { return nil }
            return short.count >= 2 ? short : nil
        }
        return nil
    }
}
