import Foundation

/// A minimal reader of NumPy `.npy` files (C order, little-endian), for comparing served outputs with the
/// oracle outputs of `scripts/oracle/make_fixtures.py`.
struct NPY {
    var descr: String
    var shape: [Int]
    var data: [UInt8]

    init(file path: String) throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        guard bytes.count > 10, bytes[0] == 0x93, bytes[1...5].elementsEqual("NUMPY".utf8) else {
            throw CocoaError(.fileReadCorruptFile)
        }
        let major = bytes[6]
        let headerLength: Int
        let start: Int
        if major == 1 {
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            start = 10
        } else {
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            start = 12
        }
        let header = String(decoding: bytes[start..<(start + headerLength)], as: UTF8.self)
        func field(_ key: String) -> String {
            guard let range = header.range(of: "'\(key)':") else { return "" }
            return String(header[range.upperBound...]).trimmingCharacters(in: .whitespaces)
        }
        let descrText = field("descr")
        descr = String(descrText.dropFirst().prefix { $0 != "'" })
        let shapeText = field("shape")
        let inside = shapeText.dropFirst().prefix { $0 != ")" }
        shape = inside.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        data = Array(bytes[(start + headerLength)...])
    }
}
