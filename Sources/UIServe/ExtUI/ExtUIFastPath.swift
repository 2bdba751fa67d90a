import HTTPTypes
import Metrics
import Hummingbird
import NIOCore
import NIOHTTPTypes

/// Answers `/ext-ui/` requests on the connection's event loop when the whole answer is in memory
/// (a remembered, loaded bundle's file held by `HotAssetCache`, or an error of the route), and
/// passes every other request on to Hummingbird unchanged.
///
/// Why: Hummingbird hands each request to a task and back (the async channel, the responder, the
/// writer), which capped small files near 0.55× nginx; an answer written here costs a dictionary
/// lookup or three and one write. Both paths build the same `AssetReply`, so they send the same
/// status, fields and bytes; the route tests run through both (a file's first request is read
/// through Hummingbird, the next ones are answered here).
///
/// HTTP/1.1 order and connection rules are kept:
/// - Responses leave in request order: while any passed-on request has not been answered (its
///   response `.end` not yet seen going out), later requests are passed on too.
/// - A request asking `Connection: close` is passed on (Hummingbird closes after its response).
/// - A graceful shutdown (`ChannelShouldQuiesceEvent`) stops answering here, and reaches the
///   connection's state handler (which closes an idle connection) only after this handler's
///   written responses have left, so closing never cuts one short.
/// - The rest of an answered request (a body sent with a GET) is read and dropped.
final class ExtUIFastPath: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// What decides the answers; shared by all connections.
    struct Answerer: Sendable {
        let assets: UIAssetResponder
        let metrics: HTTPMetrics
        let date = DateHeader()
        let serverName: String
        /// Requests answered here (`/metrics`): with the route's request count, the share of
        /// `/ext-ui/` traffic served from memory.
        let answered: Counter

        init(assets: UIAssetResponder, metrics: HTTPMetrics, serverName: String) {
            self.assets = assets
            self.metrics = metrics
            self.serverName = serverName
            answered = Counter(label: "uiserve_ext_ui_in_memory_answers_total", factory: metrics.factory)
        }

        /// The complete response, or nil to pass the request on.
        func answer(_ request: HTTPRequest) -> (HTTPResponse, ByteBuffer?)? {
            guard let path = request.path, path.hasPrefix(UIRoutePath.prefix), !Self.asksToClose(request.headerFields) else { return nil }
            let requestID = RequestIdentifier.from(request.headerFields[.requestID])
            guard case (var head, let body)? = assets.answerInMemory(request, requestID: requestID) else { return nil }
            head.headerFields[.date] = date.value
            head.headerFields[.server] = serverName
            metrics.record(path: path, status: head.status.code, bytes: head.headerFields[.contentLength].flatMap { Int($0) })
            answered.increment()
            return (head, body)
        }

        static func asksToClose(_ fields: HTTPFields) -> Bool {
            fields[values: .connection].contains { value in
                value.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces).lowercased() == "close" }
            }
        }
    }

    private let answerer: Answerer
    /// Requests passed on whose response has not ended yet.
    private var passedOn = 0
    /// Dropping the body and end of a request answered here.
    private var discarding = false
    private var quiescing = false
    private var unflushed = false
    /// Completes when the last response written here has left (or failed).
    private var lastWrite: EventLoopFuture<Void>?

    init(answerer: Answerer) { self.answerer = answerer }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let request):
            if passedOn == 0, !quiescing, let (head, body) = answerer.answer(request) {
                discarding = true
                context.write(wrapOutboundOut(.head(head)), promise: nil)
                if let body { context.write(wrapOutboundOut(.body(body)), promise: nil) }
                let written = context.eventLoop.makePromise(of: Void.self)
                context.write(wrapOutboundOut(.end(nil)), promise: written)
                lastWrite = written.futureResult
                unflushed = true
                return
            }
            discarding = false
            passedOn += 1
            context.fireChannelRead(data)
        case .body, .end:
            if discarding { return }
            context.fireChannelRead(data)
        }
    }

    /// Answers of one read batch (pipelined requests) leave in one flush.
    func channelReadComplete(context: ChannelHandlerContext) {
        if unflushed {
            unflushed = false
            context.flush()
        }
        context.fireChannelReadComplete()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { passedOn = max(0, passedOn - 1) }
        context.write(data, promise: promise)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent else { return context.fireUserInboundEventTriggered(event) }
        quiescing = true
        if unflushed {
            unflushed = false
            context.flush()
        }
        guard let lastWrite else { return context.fireUserInboundEventTriggered(event) }
        lastWrite.assumeIsolated().whenComplete { _ in context.fireUserInboundEventTriggered(event) }
    }
}
