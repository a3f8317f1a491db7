import Foundation

/// Parses header values of the form `value; key=token; key="quoted \"string\""`.
enum HeaderValue {
    /// The lower-cased value and its parameters (keys lower-cased, values unquoted).
    static func parse(_ header: String) -> (value: String, parameters: [String: String]) {
        var scalars = Substring(header).unicodeScalars[...]
        func skipSpaces() { while let c = scalars.first, c == " " || c == "\t" { scalars.removeFirst() } }
        func token(until stops: Set<Unicode.Scalar>) -> String {
            var out = String.UnicodeScalarView()
            while let c = scalars.first, !stops.contains(c) { out.append(c); scalars.removeFirst() }
            return String(out).trimmingCharacters(in: .whitespaces)
        }
        let value = token(until: [";"]).lowercased()
        var parameters: [String: String] = [:]
        while scalars.first == ";" {
            scalars.removeFirst()
            skipSpaces()
            let key = token(until: ["=", ";"]).lowercased()
            guard scalars.first == "=" else { continue }
            scalars.removeFirst()
            skipSpaces()
            var parameter = ""
            if scalars.first == "\"" {
                scalars.removeFirst()
                var out = String.UnicodeScalarView()
                while let c = scalars.first {
                    scalars.removeFirst()
                    if c == "\"" { break }
                    if c == "\\", let next = scalars.first { out.append(next); scalars.removeFirst(); continue }
                    out.append(c)
                }
                parameter = String(out)
                _ = token(until: [";"])
            } else {
                parameter = token(until: [";"])
            }
            if !key.isEmpty && parameters[key] == nil { parameters[key] = parameter }
        }
        return (value, parameters)
    }
}
