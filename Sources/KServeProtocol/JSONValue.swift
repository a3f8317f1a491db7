
/// A parsed JSON document, as the protocol layer sees it.
///
/// Numbers keep their exactness: an integer literal that fits `Int64` (or `UInt64`) stays an integer, everything
/// else is a `Double`, so converting to an integer tensor can report overflow instead of rounding silently.
package enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)
    /// An array left unparsed, by its byte range in the document: what ``JSONParser/parseInferenceHeader(_:)``
    /// gives for each input's `data`, so that the numbers are parsed once, straight into the tensor
    /// (``JSONParser/forEachLeaf(of:in:_:)``). Meaningful only with the bytes it was parsed from.
    case deferredArray(Range<Int>)

    /// The member `key` of an object, or `nil`.
    package subscript(key: String) -> JSONValue? {
        guard case .object(let object) = self else { return nil }
        return object[key]
    }

    /// The string, when this is one.
    package var stringValue: String? {
        guard case .string(let value) = self else { return nil }
        return value
    }

    /// The boolean, when this is one.
    package var boolValue: Bool? {
        guard case .bool(let value) = self else { return nil }
        return value
    }

    /// The value as an exact `Int`, when it is an integral number that fits.
    package var intValue: Int? {
        guard case .number(let number) = self else { return nil }
        return number.exactInt64.flatMap { Int(exactly: $0) }
    }

    /// The object, when this is one.
    package var objectValue: JSONObject? {
        guard case .object(let value) = self else { return nil }
        return value
    }

    /// The array, when this is one.
    package var arrayValue: [JSONValue]? {
        guard case .array(let value) = self else { return nil }
        return value
    }

    /// A short name of the value's kind, for error messages.
    package var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array, .deferredArray: "an array"
        case .object: "an object"
        }
    }
}

/// A JSON number: an exact integer when the literal is one and fits, a `Double` otherwise.
package enum JSONNumber: Sendable, Equatable {
    case int(Int64)
    case uint(UInt64)
    case double(Double)

    /// The value as `Double` (possibly rounded).
    package var doubleValue: Double {
        switch self {
        case .int(let value): Double(value)
        case .uint(let value): Double(value)
        case .double(let value): value
        }
    }

    /// The exact `Int64`, when the number is integral and fits.
    package var exactInt64: Int64? {
        switch self {
        case .int(let value): value
        case .uint(let value): Int64(exactly: value)
        case .double(let value): Int64(exactly: value)
        }
    }

    /// The exact `UInt64`, when the number is integral, non-negative and fits.
    package var exactUInt64: UInt64? {
        switch self {
        case .int(let value): UInt64(exactly: value)
        case .uint(let value): value
        case .double(let value): UInt64(exactly: value)
        }
    }
}

/// A JSON object that keeps its members' order (for stable output) and looks keys up by name.
package struct JSONObject: Sendable, Equatable {
    /// The members in document order; a repeated key keeps its last value for lookups.
    package private(set) var members: [(key: String, value: JSONValue)]

    package init(_ members: [(key: String, value: JSONValue)] = []) {
        self.members = members
    }

    package subscript(key: String) -> JSONValue? {
        members.last(where: { $0.key == key })?.value
    }

    package static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        lhs.members.count == rhs.members.count
            && zip(lhs.members, rhs.members).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }
}
