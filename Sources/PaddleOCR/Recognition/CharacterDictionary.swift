import Foundation

/// The CTC character table: index 0 = blank, then the dictionary's characters in file order, then " ".
public struct CharacterDictionary: Sendable, Equatable {
    /// All classes, including the blank at 0 (an empty string) and the appended space.
    public let characters: [String]

    /// Builds a table from dictionary entries (without blank and space).
    public init(entries: [String]) {
        characters = [""] + entries + [" "]
    }

    /// Loads `ppocr_keys_v1.txt`-style files (one entry per line, `\n` or `\r\n`), or a PaddleX model's
    /// `config.json` / `inference.yml` (`PostProcess.character_dict`).
    /// - Throws: ``OCRError/Code/modelNotFound`` when the file is missing or has no entries.
    public init(contentsOfFile path: String) throws(OCRError) {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw OCRError(.modelNotFound, "cannot read dictionary \(path): \(error.localizedDescription)")
        }
        let entries: [String]
        if path.hasSuffix(".json") {
            guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                let post = root["PostProcess"] as? [String: Any], let list = post["character_dict"] as? [String]
            else {
                throw OCRError(.modelNotFound, "\(path) has no PostProcess.character_dict list")
            }
            entries = list
        } else if path.hasSuffix(".yml") || path.hasSuffix(".yaml") {
            entries = try Self.parseYAMLCharacterList(data, path: path)
        } else {
            var lines = Self.lines(data)
            if lines.last == "" { lines.removeLast() }
            entries = lines
        }
        guard !entries.isEmpty else { throw OCRError(.modelNotFound, "dictionary \(path) is empty") }
        self.init(entries: entries)
    }

    /// Splits UTF-8 bytes on `\n`, dropping one trailing `\r` per line. Works on bytes, not `Character`s, so
    /// that a line starting with a combining mark is not merged with what precedes it.
    static func lines(_ data: Data) -> [String] {
        var out: [String] = []
        for var line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            out.append(String(decoding: line, as: UTF8.self))
        }
        return out
    }

    /// Minimal reader for the `character_dict:` block list of PaddleX `inference.yml` files.
    static func parseYAMLCharacterList(_ data: Data, path: String) throws(OCRError) -> [String] {
        var entries: [String] = []
        var inside = false
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            var bytes = line.last == UInt8(ascii: "\r") ? line.dropLast() : line[...]
            if !inside {
                if String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespaces) == "character_dict:" {
                    inside = true
                }
                continue
            }
            while bytes.first == UInt8(ascii: " ") { bytes = bytes.dropFirst() }
            guard bytes.first == UInt8(ascii: "-"), bytes.count == 1 || bytes.dropFirst().first == UInt8(ascii: " ") else {
                break
            }
            var value = String(decoding: bytes.dropFirst(2), as: UTF8.self)
            let scalars = Array(value.unicodeScalars)
            if scalars.count >= 2, let first = scalars.first, first == "'" || first == "\"", scalars.last == first {
                var inner = String.UnicodeScalarView()
                inner.append(contentsOf: scalars.dropFirst().dropLast())
                value = String(inner)
                value = first == "'" ? value.replacingOccurrences(of: "''", with: "'") : unescapeDoubleQuoted(value)
            }
            entries.append(value)
        }
        guard !entries.isEmpty else { throw OCRError(.modelNotFound, "\(path) has no character_dict list") }
        return entries
    }

    private static func unescapeDoubleQuoted(_ s: String) -> String {
        var out = ""
        var it = s.makeIterator()
        while let c = it.next() {
            guard c == "\\", let n = it.next() else { out.append(c); continue }
            switch n {
            case "n": out.append("\n")
            case "t": out.append("\t")
            case "\\": out.append("\\")
            case "\"": out.append("\"")
            default: out.append("\\"); out.append(n)
            }
        }
        return out
    }

    /// Number of model classes this table expects.
    public var count: Int { characters.count }
}
