/// An error of the waybill reader: a code to match on and a message that says what was expected and what was given.
public struct WaybillError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case divisionsUnavailable, notEncodable
    }

    private let code: Code
    /// What went wrong, for people.
    public let message: String

    private init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The bundled divisions table could not be read.
    public static let divisionsUnavailable = WaybillError(.divisionsUnavailable, "")
    /// The text has a character the target character set (GBK) does not have.
    public static let notEncodable = WaybillError(.notEncodable, "")

    static func divisionsUnavailable(_ message: String) -> WaybillError { WaybillError(.divisionsUnavailable, message) }
    static func notEncodable(_ message: String) -> WaybillError { WaybillError(.notEncodable, message) }

    /// Errors compare by code only, so that `error == .notEncodable` matches whatever the message.
    public static func == (a: WaybillError, b: WaybillError) -> Bool { a.code == b.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    /// The message.
    public var description: String { message }
}
