import NIOCore

/// An admitted gateway request waiting for its body.
public struct GatewayCall: Sendable {
    let exchange: GatewayExchange
    let identity: TenantIdentity
    let resolution: GatewayResponder.Resolution
    let routed: RoutedRequest
    let params: [String: String]
    let responder: GatewayResponder

    public var maxBodyBytes: Int { responder.configuration.maxBodyBytes }

    /// Calls the Runner with `body`; the final reply completes on `eventLoop` (never fails).
    public func run(body: ByteBuffer, on eventLoop: any EventLoop) -> EventLoopFuture<GatewayReply> {
        responder.run(self, body: body, on: eventLoop)
    }

    /// The final 413 for a body over `maxBodyBytes` (counted as it streamed in).
    public func bodyTooLarge() -> GatewayReply {
        responder.finish(responder.error(.contentTooLarge, "payload_too_large", exchange), exchange)
    }
}
