import PaddleTestSupport
import Testing

@testable import KServeProtocol

@Suite struct JSONParserTests {
    private func parse(_ text: String) throws -> JSONValue { try JSONParser.parse(Array(text.utf8)) }

    @Test func parse_nestedDocument_keepsStructure() throws {
        let value = try parse(#"{"a": [1, -2, 3.5, true, null, "x\n\u00e9"], "b": {}}"#)
        #expect(value["a"]?.arrayValue?.count == 6)
        #expect(value["a"]?.arrayValue?[0] == .number(.int(1)))
        #expect(value["a"]?.arrayValue?[2] == .number(.double(3.5)))
        #expect(value["a"]?.arrayValue?[5] == .string("x\né"))
        #expect(value["b"] == .object(JSONObject()))
    }

    @Test func parse_largeIntegers_keepExactness() throws {
        #expect(try parse("9223372036854775807") == .number(.int(.max)))
        #expect(try parse("-9223372036854775808") == .number(.int(.min)))
        #expect(try parse("18446744073709551615") == .number(.uint(.max)))
        #expect(try parse("18446744073709551616") == .number(.double(18446744073709551616)))
    }

    @Test(arguments: [
        "", "{", "[1,]", "{\"a\":}", "01", "1.", "1e", "-", "tru", "\"abc", "{\"a\" 1}", "[1 2]", "1e999",
        "\"\\x\"", "\"\\ud800\"", "nul", "{} {}", "[\"\u{01}\"]",
    ])
    func parse_malformed_throws(text: String) {
        #expect(throws: JSONParseError.self) { try parse(text) }
    }

    @Test func parse_deepNesting_throwsInsteadOfOverflowing() {
        let text = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONParseError.self) { try parse(text) }
    }

    @Test func parse_pythonNonFiniteTokens_areDoubles() throws {
        #expect(try parse("[NaN, Infinity, -Infinity]").arrayValue?.count == 3)
    }

    @Test func parse_decimals_matchCorrectlyRoundedConversion() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let digits = Int.random(in: 1...17, using: &generator)
            let mantissa = String((0..<digits).map { _ in "0123456789".randomElement(using: &generator)! })
            let point = Int.random(in: 0...digits, using: &generator)
            var text = String(mantissa.prefix(point)) + "." + String(mantissa.dropFirst(point))
            if text.hasPrefix(".") { text = "0" + text }
            while text.hasPrefix("0") && text.count > 1 && !text.hasPrefix("0.") { text.removeFirst() }
            if text.hasSuffix(".") { text += "0" }
            if Bool.random(using: &generator) { text += "e\(Int.random(in: -30...30, using: &generator))" }
            if Bool.random(using: &generator) { text = "-" + text }
            guard case .number(let number) = try parse(text) else {
                Issue.record("\(text) is not a number")
                continue
            }
            #expect(number.doubleValue == Double(text)!, "\(text)")
        }
    }

    @Test func writer_roundTrips() throws {
        let value = try parse(#"{"s":"q\"\\\t","n":[1,2.5,-3],"t":true,"z":null}"#)
        var writer = JSONWriter()
        writer.value(value)
        #expect(try JSONParser.parse(writer.bytes) == value)
    }
}
