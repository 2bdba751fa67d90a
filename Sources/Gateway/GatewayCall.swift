import NIOCore

/// An admitted gateway request waiting for its body.
public struct GatewayCall: Sendable {
    let exchange: GatewayExchange
    let identity: TenantIdentity
    let resolution: GatewayResponder.Resolution
    let routed: RoutedRequest
    let params: [String: String]
    let responder: GatewayResponder

    /// Appends `chunk` to `body` unless that passes `EXT_GATEWAY_MAX_BODY_BYTES`: the body is
    /// counted while it streams in (both paths), so a lying `Content-Length` does not help. False
    /// means: answer `bodyTooLarge()`.
    public func collect(_ chunk: inout ByteBuffer, into body: inout ByteBuffer) -> Bool {
        guard body.readableBytes + chunk.readableBytes <= responder.configuration.maxBodyBytes else { return false }
        body.writeBuffer(&chunk)
        return true
    }

    /// Calls the Runner with `body`; the final reply completes on `eventLoop` (never fails).
    public func run(body: ByteBuffer, on eventLoop: any EventLoop) -> EventLoopFuture<GatewayReply> {
        responder.run(self, body: body, on: eventLoop)
    }

    /// The final 413 for a body `collect` refused.
    public func bodyTooLarge() -> GatewayReply {
        responder.finish(responder.error(.contentTooLarge, "payload_too_large", exchange), exchange)
    }
}
