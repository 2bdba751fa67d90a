/// The one error type of the Gateway module (configuration problems at start-up); request-time
/// refusals are outcomes mapped to JSON responses, never thrown to clients.
public struct GatewayError: Error, CustomStringConvertible, Sendable {
    public let message: String

    public static func configuration(_ message: String) -> GatewayError { GatewayError(message: message) }

    public var description: String { message }
}
