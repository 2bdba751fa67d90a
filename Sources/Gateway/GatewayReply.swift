import HTTPTypes
import Hummingbird
import NIOCore

/// A gateway response before it is written: by Hummingbird (`response`) or, serialized, by the
/// event-loop path. Both write the same status, fields and body.
public struct GatewayReply: Sendable {
    public var status: HTTPResponse.Status
    public var fields: HTTPFields
    /// Nil for HEAD and for statuses without content (its `Content-Length` still says the length).
    public var body: ByteBuffer?

    public var response: Response {
        guard let body else { return Response(status: status, headers: fields) }
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: body))
    }
}

/// How a gateway request goes on after its head.
public enum GatewayStart: Sendable {
    /// Answered already (a refusal, a preflight): the reply is final.
    case reply(GatewayReply)
    /// Admitted: read the body (at most `maxBodyBytes`), then `run` the call.
    case call(GatewayCall)
}

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
