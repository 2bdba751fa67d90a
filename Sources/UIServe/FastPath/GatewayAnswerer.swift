import Gateway
import HTTPTypes
import HummingbirdCore
import Metrics
import NIOCore
import NIOHTTP1

/// Starts `/api/ext/` requests on the event loop (for `FastPathHandler`) when every step before
/// the Runner call is answered from memory (`GatewayResponder.startRemembered`); the Runner call
/// then runs on the same loop, with a connection of that loop's pool. Shared by all connections.
final class GatewayAnswerer: Sendable {
    let gateway: GatewayResponder
    let metrics: HTTPMetrics
    let writer: ResponseHeadWriter
    /// Requests answered here (`/metrics`).
    let answered: Counter

    init(gateway: GatewayResponder, metrics: HTTPMetrics, writer: ResponseHeadWriter) {
        self.gateway = gateway
        self.metrics = metrics
        self.writer = writer
        answered = Counter(label: "uiserve_gateway_event_loop_answers_total", factory: metrics.factory)
    }

    /// How the request goes on, or nil to pass it on.
    func start(_ head: HTTPRequestHead) -> GatewayStart? {
        guard head.uri.hasPrefix("/api/ext/"), let (method, fields) = FastPathHandler.converted(head) else { return nil }
        return gateway.startRemembered(method: method, uri: URI(head.uri), fields: fields, requestID: RequestIdentifier.from(fields[.requestID]))
    }

    /// The final reply's bytes (head, then body), counted in the route's metrics.
    func serialize(_ reply: GatewayReply, path: String, allocator: ByteBufferAllocator) -> (ByteBuffer, ByteBuffer?) {
        metrics.record(path: path, status: reply.status.code, bytes: reply.fields[.contentLength].flatMap { Int($0) })
        answered.increment()
        return (writer.serialize(HTTPResponse(status: reply.status, headerFields: reply.fields), allocator: allocator), reply.body)
    }
}
