import Foundation
import Testing

@testable import PaddleWaybill

@Suite struct WaybillNumberFormatTests {
    @Test(arguments: [
        ("SF1234567890123", "SF"), ("SF123456789012", "SF"), ("JD0012345678901", "JD"), ("JDVA12345678901", "JD"),
        ("YT7123456789012", "YTO"), ("731234567890", "ZTO"), ("78123456789012", "ZTO"), ("7731234567890", "STO"),
        ("4312345678901", "YUNDA"), ("310123456789012", "YUNDA"), ("JT3123456789012", "JT"), ("DPK312345678901", "DEPPON"),
        ("EA123456785CN", "EMS"),
    ])
    func carriers_knownFormat_namesOneCarrier(number: String, code: String) {
        #expect(WaybillNumberFormat.carriers(matching: number).map(\.code) == [code])
    }

    @Test(arguments: ["SF12345", "13812345678", "EA123456784CN", "YT712345678901", "1234567890123", "JD12345678901234567", ""])
    func carriers_otherText_namesNone(number: String) {
        #expect(WaybillNumberFormat.carriers(matching: number).isEmpty)
    }

    @Test func s10CheckDigit_upuExample_matches() {
        // UPU S10 example: serial 47312482 has check digit 9 (weights 8 6 4 2 3 5 9 7, sum 200, 11 - 200 mod 11).
        #expect(WaybillNumberFormat.s10CheckDigit([4, 7, 3, 1, 2, 4, 8, 2]) == 9)
        #expect(WaybillNumberFormat.s10CheckDigit([1, 2, 3, 4, 5, 6, 7, 8]) == 5)
        #expect(!WaybillNumberFormat.isS10("RR473124829CN"))  // not China Post's E series
        #expect(WaybillNumberFormat.isS10("EE473124829CN"))
        #expect(!WaybillNumberFormat.isS10("EE473124828CN"))  // one digit off
    }
}

@Suite struct PhoneParserTests {
    @Test(arguments: [
        ("付宁雪 13812345678", "13812345678", "付宁雪"), ("186*** *0674", "186****0674", ""),
        ("电话:138***1234", "138****1234", "电话:"), ("吕颖勇0898-5521328", "0898-5521328", "吕颖勇"),
        ("021-87654321", "021-87654321", ""), ("手机：１５９ １２３４ ５６７８", "15912345678", "手机:"),
    ])
    func find_phone_normalisesAndLeavesTheRest(text: String, phone: String, rest: String) {
        let m = PhoneParser.find(in: text)
        #expect(m?.phone == phone)
        #expect(m?.remainder == rest)
    }

    @Test(arguments: ["SF1381234567890", "123456", "12812345678", "1381234567", "运单号:731234567890", "0755-123456"])
    func find_noPhone_returnsNil(text: String) {
        #expect(PhoneParser.find(in: text) == nil)
    }
}

@Suite struct DateParserTests {
    @Test(arguments: [
        ("寄件日期：2026-03-15", "2026-03-15"), ("日期：2025/1/7", "2025-01-07"), ("2024年2月29日", "2024-02-29"),
        ("揽收时间：2026-09-05 14:03", "2026-09-05"), ("2026.12.31", "2026-12-31"),
        ("揽收时间：2024-02-2610:12", "2024-02-26"),
    ])
    func find_dates_isoFormat(text: String, iso: String) {
        #expect(DateParser.find(in: text) == iso)
    }

    @Test(arguments: ["2025年2月29日", "2026-13-01", "2026-04-31", "12026-01-01", "电话 20261234567"])
    func find_invalidDates_returnNil(text: String) {
        #expect(DateParser.find(in: text) == nil)
    }
}

@Suite struct QuantityParserTests {
    @Test func weight_units_inKilograms() {
        #expect(QuantityParser.weightKg(in: "重量：1.5kg") == 1.5)
        #expect(QuantityParser.weightKg(in: "计费重量:2KG") == 2)
        #expect(QuantityParser.weightKg(in: "重量:3公斤") == 3)
        #expect(QuantityParser.weightKg(in: "重量 500g") == 0.5)
        #expect(QuantityParser.weightKg(in: "重庆市渝中区") == nil)
        #expect(QuantityParser.weightKg(in: "重量：") == nil)
    }

    @Test func pieces_labels_count() {
        #expect(QuantityParser.pieces(in: "件数：2件") == 2)
        #expect(QuantityParser.pieces(in: "数量:1") == 1)
        #expect(QuantityParser.pieces(in: "件数：") == nil)
        #expect(QuantityParser.pieces(in: "物品：文件") == nil)
    }
}

@Suite struct AddressParserTests {
    let parser = AddressParser(table: try! DivisionTable.bundled())

    @Test func table_bundled_hasAllLevels() throws {
        let table = try DivisionTable.bundled()
        #expect(table.count == 3511)
        #expect(table.division(code: "440305")?.name == "南山区")
        #expect(table.division(code: "440000")?.shortName == "广东")
    }

    @Test func parse_fullAddress_splitsLevels() {
        let a = parser.parse("广东省深圳市南山区科技园路18号创业大厦5楼")
        #expect(a?.province == "广东省")
        #expect(a?.city == "深圳市")
        #expect(a?.district == "南山区")
        #expect(a?.detail == "科技园路18号创业大厦5楼")
        #expect(a?.full == "广东省深圳市南山区科技园路18号创业大厦5楼")
    }

    @Test func parse_spacesAndLabel_ignored() {
        let a = parser.parse("地址：湖南省 永州市 双牌县 中山中路934号")
        #expect(a?.province == "湖南省")
        #expect(a?.city == "永州市")
        #expect(a?.district == "双牌县")
        #expect(a?.detail == "中山中路934号")
    }

    @Test func parse_municipality_cityRepeatsProvince() {
        let a = parser.parse("北京市朝阳区建国路88号")
        #expect(a?.province == "北京市")
        #expect(a?.city == "北京市")
        #expect(a?.district == "朝阳区")
        #expect(a?.full == "北京市朝阳区建国路88号")
        let b = parser.parse("上海市市辖区浦东新区世纪大道1号")
        #expect(b?.district == "浦东新区")
        #expect(b?.detail == "世纪大道1号")
    }

    @Test func parse_shortNamesAndMissingProvince_filledFromTable() {
        let a = parser.parse("深圳市南山区科技园路18号")
        #expect(a?.province == "广东省")
        #expect(a?.city == "深圳市")
        #expect(a?.district == "南山区")
        let b = parser.parse("浙江杭州西湖区文三路1号")
        #expect(b?.province == "浙江省")
        #expect(b?.city == "杭州市")
        #expect(b?.district == "西湖区")
        #expect(b?.full == "浙江省杭州市西湖区文三路1号")
    }

    @Test func parse_sameNameDistricts_resolvedByCity() {
        // 朝阳区 exists in Beijing and Changchun; 鼓楼区 in several cities.
        #expect(parser.parse("吉林省长春市朝阳区人民大街1号")?.city == "长春市")
        #expect(parser.parse("江苏省南京市鼓楼区中山路1号")?.district == "鼓楼区")
        #expect(parser.parse("福建省福州市鼓楼区五四路1号")?.city == "福州市")
    }

    @Test func parse_noDivision_keepsTextAsFull() {
        let a = parser.parse("中山路100号")
        #expect(a?.province == nil)
        #expect(a?.district == nil)
        #expect(a?.full == "中山路100号")
    }
}

@Suite struct WaybillJSONTests {
    @Test func encode_missingFields_areNull() throws {
        let data = try WaybillJSON.encode(Waybill(image: "a.jpg"))
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        let keys = Set(object?.keys.map { $0 } ?? [])
        #expect(keys == ["image", "carrier", "waybill_number", "receiver", "sender", "weight_kg", "pieces", "date", "confidence", "lines"])
        #expect(object?["waybill_number"] is NSNull)
        #expect(object?["receiver"] is NSNull)
    }

    @Test func encode_party_hasEveryName() throws {
        let w = Waybill(
            carrier: Carrier(name: "顺丰速运", code: "SF"), waybillNumber: "SF1234567890123",
            receiver: WaybillParty(name: "张三", phone: nil, address: WaybillAddress(province: "广东省", full: "广东省")))
        let text = String(decoding: try WaybillJSON.encode(w), as: UTF8.self)
        #expect(text.contains(#""receiver":{"address":{"city":null,"detail":null,"district":null,"full":"广东省","province":"广东省"},"name":"张三","phone":null}"#))
        #expect(text.contains(#""carrier":{"code":"SF","name":"顺丰速运"}"#))
    }

    @Test func gbk_chinese_twoBytesPerCharacter() throws {
        let data = try WaybillJSON.gbk("收件人:张三")
        #expect(Array(data) == [0xCA, 0xD5, 0xBC, 0xFE, 0xC8, 0xCB, 0x3A, 0xD5, 0xC5, 0xC8, 0xFD])
    }

    @Test func gbk_characterOutsideGBK_throwsNotEncodable() {
        #expect(throws: WaybillError.notEncodable) { try WaybillJSON.gbk("snow ☃ and 😀") }
    }
}
