import Gateway
import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypesHTTP1

/// Answers requests on the connection's event loop when nothing needs an await or a read first,
/// and passes every other request on to Hummingbird unchanged:
/// - `/ext-ui/` (`ExtUIAnswerer`): a remembered, loaded bundle's file held by `HotAssetCache`, a
///   file too large for it (by `sendfile`), or an error of the route.
/// - `/api/ext/` (`GatewayAnswerer`): a token verified before, registry answers in the cache, the
///   quota total loaded; the body is collected here and the Runner called on this same loop.
///
/// Why: Hummingbird converts each request to HTTP types, hands it to a task and back (the async
/// channel, the responder, the writer) and converts and encodes the response: for small files
/// that held uiserve near 0.55× nginx, and each gateway request crossed threads four times. This
/// handler sits right after NIO's HTTP/1 decoder, and writes a response as bytes straight past the
/// encoder (through the encoder's own context). Both paths build the same reply and send the same
/// status, fields and bytes (tested: a request sent with `Connection: close` always goes through
/// Hummingbird, and is compared with the same request answered here).
///
/// Every decoded request meets `HostFieldRule` first (RFC 9112 §3.2): one that breaks it gets a
/// 400 with `Connection: close` in its turn, and the connection closes after it.
///
/// HTTP/1.1 order and connection rules are kept:
/// - Responses leave in request order: while any passed-on request has not been answered (its
///   response `.end` not yet seen going out), later requests are passed on too; while a gateway
///   call is out, later requests wait here (and no more is read from the socket).
/// - Requests that are not HTTP/1.1 keep-alive (`Connection: close`, HTTP/1.0) are passed on, as
///   are targets with bytes outside visible ASCII (Hummingbird's conversion would re-encode them).
/// - A graceful shutdown (`ChannelShouldQuiesceEvent`) stops answering here, and reaches the
///   connection's state handler (which closes an idle connection) only after this handler's
///   answers have left, so closing never cuts one short.
/// - The rest of an answered request (a body sent with a GET) is read and dropped; a gateway body
///   past its limit gets 413 at once and the rest is dropped.
/// - Back-pressure: once the connection's unsent bytes pass its high watermark (a client that
///   pipelines requests and does not read), requests are passed on, and Hummingbird's writer waits
///   for the socket. Without this a client could queue unbounded answers, each large file holding
///   an open descriptor.
final class FastPathHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// What decides the answers; shared by all connections.
    struct Answerers: Sendable {
        let extUI: ExtUIAnswerer
        let gateway: GatewayAnswerer?
    }

    /// The method and fields as Hummingbird's codec converts them (the first Host becomes the
    /// authority), for an HTTP/1.1 keep-alive request with a visible-ASCII target; nil otherwise.
    static func converted(_ head: HTTPRequestHead) -> (HTTPRequest.Method, HTTPFields)? {
        guard head.version == .http1_1, head.isKeepAlive, head.uri.isVisibleASCII,
            let method = try? HTTPRequest.Method(head.method)
        else { return nil }
        return (method, HTTPFields(head.headers, splitCookie: false))
    }

    private let answerers: Answerers
    /// The HTTP encoder's context: a write there goes to the socket, past the encoder.
    private let rawWriter: ChannelHandlerContext
    /// Requests passed on whose response has not ended yet.
    private var passedOn = 0
    /// Dropping the body and end of a request answered here.
    private var discarding = false
    /// An admitted gateway call whose body is arriving.
    private var collecting: (call: GatewayCall, path: String, body: ByteBuffer)?
    /// A gateway call is out: later request parts wait in `queued` (and, once some do, reads are held).
    private var waiting = false
    private var queued = CircularBuffer<HTTPServerRequestPart>()
    private var readHeld = false
    private var quiescing = false
    private var quiesceHeld = false
    private var unflushed = false
    /// Whether any response was written here or by `RawRequestHandler` (a graceful shutdown then
    /// waits for them to leave).
    var answeredHere = false
    /// A request broke the Host rule (`HostFieldRule`): nothing after it is read as a request, and
    /// its 400 (`refusal`, while responses before it are still going out) ends the connection.
    private var refusing = false
    private var refusal: ByteBuffer?

    /// Whether a response written now, past the decoder, leaves in order: no passed-on request
    /// waits for its response, no gateway call is out or collecting, and no shutdown has begun.
    /// (`RawRequestHandler` asks this between whole requests, when the decoder holds no bytes.)
    var isIdle: Bool { passedOn == 0 && !waiting && queued.isEmpty && collecting == nil && !quiescing && !refusing }

    init(answerers: Answerers, rawWriter: ChannelHandlerContext) {
        self.answerers = answerers
        self.rawWriter = rawWriter
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if waiting { return queued.append(unwrapInboundIn(data)) }
        handle(unwrapInboundIn(data), context: context)
    }

    private func handle(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        if refusing { return }
        switch part {
        case .head(let head):
            discarding = false
            guard HostFieldRule.accepts(isHTTP11: head.version == .http1_1, hosts: head.headers["host"]) else {
                return refuse(head, context: context)
            }
            if passedOn == 0, !quiescing, context.channel.isWritable {
                if let (bytes, body) = answerers.extUI.answer(head, allocator: context.channel.allocator) {
                    discarding = true
                    return writeAnswer(bytes, body, context: context)
                }
                if let start = answerers.gateway?.start(head) {
                    switch start {
                    case .reply(let reply):
                        discarding = true
                        writeGatewayReply(reply, path: head.uri, context: context)
                    case .call(let call):
                        collecting = (call, head.uri, context.channel.allocator.buffer(capacity: 0))
                    }
                    return
                }
            }
            passedOn += 1
            context.fireChannelRead(wrapInboundOut(part))
        case .body(var chunk):
            if let (call, path, collected) = collecting {
                var body = collected
                collecting = nil
                guard call.collect(&chunk, into: &body) else {
                    discarding = true
                    return writeGatewayReply(call.bodyTooLarge(), path: path, context: context)
                }
                collecting = (call, path, body)
                return
            }
            if discarding { return }
            context.fireChannelRead(wrapInboundOut(part))
        case .end:
            if let (call, path, body) = collecting {
                collecting = nil
                waiting = true
                call.run(body: body, on: context.eventLoop).assumeIsolated().whenSuccess { reply in
                    self.writeGatewayReply(reply, path: path, context: context)
                    self.resume(context: context)
                }
                return
            }
            if discarding { return }
            context.fireChannelRead(wrapInboundOut(part))
        }
    }

    /// Refuses a request that broke the Host rule with a 400 and `Connection: close`, once every
    /// response before it has gone out; the connection then closes.
    private func refuse(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        refusing = true
        let requestID = RequestIdentifier.from(head.headers.first(name: "x-request-id"))
        let (fields, body) = ErrorResponse.parts(.badRequest, code: "invalid_host", requestID: requestID, extra: [.connection: "close"])
        var bytes = answerers.extUI.writer.serialize(HTTPResponse(status: .badRequest, headerFields: fields), allocator: context.channel.allocator)
        bytes.writeImmutableBuffer(body)
        answerers.extUI.metrics.record(path: head.uri, status: 400, bytes: body.readableBytes)
        refusal = bytes
        sendRefusalIfDue(context: context)
    }

    private func sendRefusalIfDue(context: ChannelHandlerContext) {
        guard let bytes = refusal, passedOn == 0, !waiting else { return }
        refusal = nil
        answeredHere = true
        unflushed = false
        let written = context.eventLoop.makePromise(of: Void.self)
        rawWriter.writeAndFlush(NIOAny(bytes), promise: written)
        written.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    /// After a gateway answer: the requests that arrived meanwhile, in order, then reading again.
    private func resume(context: ChannelHandlerContext) {
        waiting = false
        guard context.channel.isActive else { return queued.removeAll() }
        sendRefusalIfDue(context: context)
        let drained = !queued.isEmpty
        while !waiting, let part = queued.popFirst() { handle(part, context: context) }
        flushIfNeeded(context: context)
        // Hummingbird's channel delivers what it was handed at the end of a read batch.
        if drained { context.fireChannelReadComplete() }
        guard !waiting else { return }
        if readHeld {
            readHeld = false
            context.read()
        }
        if quiesceHeld {
            quiesceHeld = false
            forwardQuiesce(context: context)
        }
    }

    /// Writes an answer (flushed at the end of the read batch). No promise per answer: a graceful
    /// shutdown learns when they have all left from one empty write after them (`forwardQuiesce`).
    private func writeAnswer(_ bytes: ByteBuffer, _ body: ExtUIAnswerer.Body, context: ChannelHandlerContext) {
        Self.write(bytes, body, through: rawWriter)
        answeredHere = true
        unflushed = true
    }

    /// Writes an answer's head and body through `writer`, a context whose writes go straight to the
    /// socket. A file region's write carries a promise, to close its file once written.
    static func write(_ bytes: ByteBuffer, _ body: ExtUIAnswerer.Body, through writer: ChannelHandlerContext) {
        writer.write(NIOAny(bytes), promise: nil)
        switch body {
        case .none:
            break
        case .bytes(let buffer):
            writer.write(NIOAny(buffer), promise: nil)
        case .region(let region, let handle):
            let written = writer.eventLoop.makePromise(of: Void.self)
            writer.write(NIOAny(IOData.fileRegion(region)), promise: written)
            written.futureResult.assumeIsolated().whenComplete { _ in try? handle.close() }
        }
    }

    private func writeGatewayReply(_ reply: GatewayReply, path: String, context: ChannelHandlerContext) {
        guard let gateway = answerers.gateway else { return }
        let (head, body) = gateway.serialize(reply, path: path, allocator: context.channel.allocator)
        writeAnswer(head, body.map { .bytes($0) } ?? .none, context: context)
        // An answer that completes later than its read batch is flushed at once.
        if waiting { flushIfNeeded(context: context) }
    }

    private func flushIfNeeded(context: ChannelHandlerContext) {
        if unflushed {
            unflushed = false
            context.flush()
        }
    }

    /// Answers of one read batch (pipelined requests) leave in one flush.
    func channelReadComplete(context: ChannelHandlerContext) {
        flushIfNeeded(context: context)
        context.fireChannelReadComplete()
    }

    /// Reads are held only while requests wait behind a gateway call (a pipelining client): a
    /// client that waits for its answer costs no re-registration with epoll per request.
    func read(context: ChannelHandlerContext) {
        if waiting, !queued.isEmpty { readHeld = true } else { context.read() }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .end = unwrapOutboundIn(data) else { return context.write(data, promise: promise) }
        passedOn = max(0, passedOn - 1)
        context.write(data, promise: promise)
        sendRefusalIfDue(context: context)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent else { return context.fireUserInboundEventTriggered(event) }
        quiescing = true
        flushIfNeeded(context: context)
        if waiting || collecting != nil { quiesceHeld = true } else { forwardQuiesce(context: context) }
    }

    /// The quiesce event, once this handler's written answers have left: writes complete in order,
    /// so an empty write after them completes when they have.
    private func forwardQuiesce(context: ChannelHandlerContext) {
        guard answeredHere else { return context.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent()) }
        let drained = context.eventLoop.makePromise(of: Void.self)
        rawWriter.writeAndFlush(NIOAny(context.channel.allocator.buffer(capacity: 0)), promise: drained)
        drained.futureResult.assumeIsolated().whenComplete { _ in context.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent()) }
    }
}
