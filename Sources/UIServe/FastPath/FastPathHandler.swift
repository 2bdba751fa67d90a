import HTTPTypes
import Metrics
import NIOCore
import NIOHTTP1

/// Answers `/ext-ui/` requests on the connection's event loop when nothing needs an await or a
/// read first (a remembered, loaded bundle's file held by `HotAssetCache`, a file too large for it,
/// which goes out by `sendfile`, or an error of the route), and passes every other request on to
/// Hummingbird unchanged.
///
/// Why: Hummingbird converts each request to HTTP types, hands it to a task and back (the async
/// channel, the responder, the writer) and converts and encodes the response; small files stayed
/// near 0.55× nginx. This handler sits right after NIO's HTTP/1 decoder, and writes a response as
/// bytes straight past the encoder (through the encoder's own context), so an answer costs the
/// route logic, a few dictionary lookups and one `writev`. Both paths build the same `AssetReply`
/// and send the same status, fields and bytes (tested: a request sent with `Connection: close`
/// always goes through Hummingbird, and is compared with the same request answered here).
///
/// HTTP/1.1 order and connection rules are kept:
/// - Responses leave in request order: while any passed-on request has not been answered (its
///   response `.end` not yet seen going out), later requests are passed on too.
/// - Requests that are not HTTP/1.1 keep-alive (`Connection: close`, HTTP/1.0) are passed on, as
///   are targets with bytes outside visible ASCII (Hummingbird's conversion would re-encode them).
/// - A graceful shutdown (`ChannelShouldQuiesceEvent`) stops answering here, and reaches the
///   connection's state handler (which closes an idle connection) only after this handler's
///   written responses have left, so closing never cuts one short.
/// - The rest of an answered request (a body sent with a GET) is read and dropped.
/// - Back-pressure: once the connection's unsent bytes pass its high watermark (a client that
///   pipelines requests and does not read), requests are passed on, and Hummingbird's writer waits
///   for the socket. Without this a client could queue unbounded answers, each large file holding
///   an open descriptor.
final class ExtUIFastPath: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// What decides the answers; shared by all connections.
    struct Answerer: Sendable {
        let assets: UIAssetResponder
        let metrics: HTTPMetrics
        let date = DateHeader()
        let serverName: String
        /// Requests answered here (`/metrics`): with the route's request count, the share of
        /// `/ext-ui/` traffic answered on the event loop.
        let answered: Counter

        init(assets: UIAssetResponder, metrics: HTTPMetrics, serverName: String) {
            self.assets = assets
            self.metrics = metrics
            self.serverName = serverName
            answered = Counter(label: "uiserve_ext_ui_event_loop_answers_total", factory: metrics.factory)
        }

        /// What to write for an answer: the head's bytes, then the body.
        enum Body {
            case none
            case bytes(ByteBuffer)
            /// A file region and its open handle (closed once the region is written).
            case region(FileRegion, NIOFileHandle)
        }

        /// The complete response, or nil to pass the request on.
        func answer(_ head: HTTPRequestHead, allocator: ByteBufferAllocator) -> (ByteBuffer, Body)? {
            guard head.version == .http1_1, head.isKeepAlive, head.uri.hasPrefix(UIRoutePath.prefix),
                head.uri.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f }), let method = try? HTTPRequest.Method(head.method)
            else { return nil }
            // The same conversion Hummingbird's codec makes (the first Host becomes the authority).
            let fields = HTTPFields(head.headers, splitCookie: false)
            let request = HTTPRequest(method: method, scheme: nil, authority: nil, path: head.uri, headerFields: fields)
            let requestID = RequestIdentifier.from(fields[.requestID])
            guard let (response, immediate) = assets.answerImmediately(request, requestID: requestID),
                Self.framesItself(response) else { return nil }
            let body: Body
            switch immediate {
            case nil: body = .none
            case .buffer(let buffer)?: body = .bytes(buffer)
            case .stream(let path, let range)?:
                // Opened before anything is written: a file that is gone (an evicted tree) is
                // left to the async path, which loads the bundle again. No stat(): the index
                // gave the size, and an open handle outlives an eviction that unlinks the file.
                guard let handle = try? NIOFileHandle(_deprecatedPath: path) else { return nil }
                body = .region(FileRegion(fileHandle: handle, readerIndex: Int(range.lowerBound), endIndex: Int(range.upperBound) + 1), handle)
            }
            metrics.record(path: head.uri, status: response.status.code, bytes: response.headerFields[.contentLength].flatMap { Int($0) })
            answered.increment()
            return (serialize(response, allocator: allocator), body)
        }

        /// Whether the response needs no framing field added (what NIO's encoder would add).
        static func framesItself(_ response: HTTPResponse) -> Bool {
            response.headerFields[.contentLength] != nil || response.status == .notModified
        }

        /// The status line and field lines as NIO's encoder writes them after Hummingbird's
        /// conversion (the field names as given, `Date` and `Server` last).
        func serialize(_ response: HTTPResponse, allocator: ByteBufferAllocator) -> ByteBuffer {
            var buffer = allocator.buffer(capacity: 1024)
            buffer.writeStaticString("HTTP/1.1 ")
            buffer.writeString(String(response.status.code))
            buffer.writeStaticString(" ")
            buffer.writeString(response.status.reasonPhrase)
            buffer.writeStaticString("\r\n")
            for field in response.headerFields {
                buffer.writeString(field.name.rawName)
                buffer.writeStaticString(": ")
                buffer.writeString(field.value)
                buffer.writeStaticString("\r\n")
            }
            buffer.writeStaticString("Date: ")
            buffer.writeString(date.value)
            buffer.writeStaticString("\r\nServer: ")
            buffer.writeString(serverName)
            buffer.writeStaticString("\r\n\r\n")
            return buffer
        }
    }

    private let answerer: Answerer
    /// The HTTP encoder's context: a write there goes to the socket, past the encoder.
    private let rawWriter: ChannelHandlerContext
    /// Requests passed on whose response has not ended yet.
    private var passedOn = 0
    /// Dropping the body and end of a request answered here.
    private var discarding = false
    private var quiescing = false
    private var unflushed = false
    /// Completes when the last response written here has left (or failed).
    private var lastWrite: EventLoopFuture<Void>?

    init(answerer: Answerer, rawWriter: ChannelHandlerContext) {
        self.answerer = answerer
        self.rawWriter = rawWriter
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            if passedOn == 0, !quiescing, context.channel.isWritable, let (bytes, body) = answerer.answer(head, allocator: context.channel.allocator) {
                discarding = true
                let written = context.eventLoop.makePromise(of: Void.self)
                switch body {
                case .none:
                    rawWriter.write(NIOAny(bytes), promise: written)
                case .bytes(let buffer):
                    rawWriter.write(NIOAny(bytes), promise: nil)
                    rawWriter.write(NIOAny(buffer), promise: written)
                case .region(let region, let handle):
                    rawWriter.write(NIOAny(bytes), promise: nil)
                    rawWriter.write(NIOAny(IOData.fileRegion(region)), promise: written)
                    written.futureResult.assumeIsolated().whenComplete { _ in try? handle.close() }
                }
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
