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
