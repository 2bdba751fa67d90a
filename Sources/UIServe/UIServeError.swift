/// The one error type of the UIServe module (configuration and start-up problems); request-time
/// failures are mapped to HTTP responses by `ErrorResponse`, never thrown to the client as text.
public struct UIServeError: Error, CustomStringConvertible, Sendable {
    public let message: String

    public static func configuration(_ message: String) -> UIServeError { UIServeError(message: message) }

    public var description: String { message }
}
