import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// The Runner over plain HTTP/1.1 on SwiftNIO, with a keep-alive pool: one `writev` per call (head
/// and body together), the reply collected on the connection's event loop, no per-call URL parsing.
///
/// Measured against AsyncHTTPClient on the gateway benchmark (README): AsyncHTTPClient's request
/// preparation, state machines and separate head/body writes were about a third of the process.
/// `https://` Runners still go through `HTTPRunnerClient` (AsyncHTTPClient), which brings TLS.
public final class NIORunnerClient: RunnerClient, Sendable {
    public let host: String
    public let port: Int
    /// The request target of `/v1/execute` under the base URL's path.
    let target: String
    /// The `host` field of every request.
    let hostField: String
    let group: any EventLoopGroup
    let maxIdle: Int
    /// Idle kept-alive connections, by event loop (up to `maxIdle` per loop).
    private let idle = Mutex<[ObjectIdentifier: [any Channel]]>([:])
    /// Connections opened so far (for tests and the pool's behaviour).
    public let connectionsOpened = Atomic<Int>(0)

    /// `baseURL` is `http://host[:port][/path]`; nil for anything else (https, other schemes).
    public init?(baseURL: String, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, maxIdle: Int = 64) {
        guard baseURL.lowercased().hasPrefix("http://") else { return nil }
        let rest = baseURL.dropFirst("http://".count)
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<slash]
        var path = String(rest[slash...])
        while path.hasSuffix("/") { path.removeLast() }
        guard !authority.isEmpty, !authority.contains("@") else { return nil }
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            guard after.isEmpty || after.hasPrefix(":") else { return nil }
            guard let number = after.isEmpty ? 80 : Int(after.dropFirst()), (1...65535).contains(number) else { return nil }
            port = number
        } else if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            guard let number = Int(authority[authority.index(after: colon)...]), (1...65535).contains(number) else { return nil }
            port = number
        } else {
            host = String(authority)
            port = 80
        }
        target = path + "/v1/execute"
        // RFC 9110 §7.2 (URI authority syntax): an IPv6 host is bracketed, the default port left out.
        let bracketed = host.contains(":") ? "[" + host + "]" : host
        hostField = port == 80 ? bracketed : "\(bracketed):\(port)"
        self.group = group
        self.maxIdle = maxIdle
    }

    public func execute(body: [UInt8], headers: [(String, String)], timeout: Duration, maxResponseBytes: Int) async throws -> (status: Int, body: [UInt8]) {
        let deadline = NIODeadline.now() + .nanoseconds(Int64(timeout / .nanoseconds(1)))
        let reply = try await call(on: nil, body: body, headers: headers, deadline: deadline, maxResponseBytes: maxResponseBytes).get()
        return (reply.status, reply.body)
    }

    /// The call on `eventLoop`, with a connection of that loop's pool: a caller on the loop (the
    /// gateway's event-loop answers) gets its reply without a thread hop.
    public func execute(on eventLoop: any EventLoop, body: [UInt8], headers: [(String, String)], deadline: NIODeadline,
                        maxResponseBytes: Int) -> EventLoopFuture<RunnerReply> {
        call(on: eventLoop, body: body, headers: headers, deadline: deadline, maxResponseBytes: maxResponseBytes).hop(to: eventLoop)
    }

    /// The call on a connection of `eventLoop`'s pool, or (nil) of any loop's pool, a new connection
    /// going to the group's next loop; completes on the connection's loop.
    private func call(on eventLoop: (any EventLoop)?, body: [UInt8], headers: [(String, String)], deadline: NIODeadline,
                      maxResponseBytes: Int) -> EventLoopFuture<RunnerReply> {
        // Checked before a connection is taken: NIO's validator would refuse the head only after
        // the body had been queued behind it.
        guard headers.allSatisfy({ HeaderPolicy.isFieldValue($0.1) }) else {
            return (eventLoop ?? group.next()).makeFailedFuture(RunnerFailure.connection("a header value the Runner request cannot carry"))
        }
        let head = requestHead(headers: headers, contentLength: body.count)
        if let channel = pooled(on: eventLoop) {
            let start = { self.send(head: head, body: body, on: channel, reused: true, deadline: deadline, maxResponseBytes: maxResponseBytes) }
            // On the caller's own loop (the gateway's event-loop answers) the call starts at once, no future in between.
            return channel.eventLoop.inEventLoop ? start() : channel.eventLoop.flatSubmit(start)
        }
        return connect(on: eventLoop, deadline: deadline).flatMap { channel in
            self.send(head: head, body: body, on: channel, reused: false, deadline: deadline, maxResponseBytes: maxResponseBytes)
        }
    }

    private func requestHead(headers: [(String, String)], contentLength: Int) -> HTTPRequestHead {
        var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: target)
        head.headers.add(name: "host", value: hostField)
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        head.headers.add(name: "content-length", value: String(contentLength))
        return head
    }

    /// One request/reply on `channel` (called on its loop), within the deadline: the connection goes
    /// back to the pool when the Runner keeps it alive, and is closed on any failure. A `reused`
    /// connection the Runner closed before answering a byte (its idle timeout racing our reuse) is
    /// tried once more on a new connection: calls always carry an idempotency key (or are GETs), so
    /// this is the retry HTTP clients make for idempotent requests.
    private func send(head: HTTPRequestHead, body: [UInt8], on channel: any Channel, reused: Bool, deadline: NIODeadline,
                      maxResponseBytes: Int) -> EventLoopFuture<RunnerReply> {
        let eventLoop = channel.eventLoop
        let promise = eventLoop.makePromise(of: RunnerReply.self)
        let call = RunnerCall(head: head, body: body, maxResponseBytes: maxResponseBytes) { result in
            switch result {
            case .success(let reply):
                if reply.keepAlive { self.release(channel) } else { channel.close(promise: nil) }
                promise.succeed(RunnerReply(status: reply.status, body: reply.body))
            case .failure(let error):
                channel.close(promise: nil)
                guard error is StaleConnection else { return promise.fail(error) }
                let lost = RunnerFailure.connection("the Runner closed the connection without answering")
                guard reused else { return promise.fail(lost) }
                self.connect(on: eventLoop, deadline: deadline).flatMap { fresh in
                    self.send(head: head, body: body, on: fresh, reused: false, deadline: deadline, maxResponseBytes: maxResponseBytes)
                }.cascade(to: promise)
            }
        }
        call.timer = try? eventLoop.scheduleCallback(at: deadline, handler: call)
        channel.pipeline.syncOperations.fireUserInboundEventTriggered(call)
        return promise.futureResult
    }

    /// An idle pooled connection of `eventLoop` (nil: of any loop) that is still open.
    private func pooled(on eventLoop: (any EventLoop)?) -> (any Channel)? {
        while let channel = idle.withLock({ idle -> (any Channel)? in
            if let eventLoop { return idle[ObjectIdentifier(eventLoop)]?.popLast() }
            guard let key = idle.first(where: { !$0.value.isEmpty })?.key else { return nil }
            return idle[key]?.popLast()
        }) {
            if channel.isActive { return channel }
        }
        return nil
    }

    /// A new connection on `preferred` (nil: the group's next loop) within the deadline.
    private func connect(on preferred: (any EventLoop)?, deadline: NIODeadline) -> EventLoopFuture<any Channel> {
        let eventLoop = preferred ?? group.next()
        let timeout = deadline - .now()
        guard timeout > .zero else { return eventLoop.makeFailedFuture(RunnerFailure.timeout) }
        return ClientBootstrap(group: eventLoop)
            .connectTimeout(timeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(RunnerCallHandler())
                }
            }
            .connect(host: host, port: port)
            .map { channel in
                self.connectionsOpened.add(1, ordering: .relaxed)
                return channel
            }
            .flatMapErrorThrowing { error in
                if let error = error as? ChannelError, error == .connectTimeout(timeout) { throw RunnerFailure.timeout }
                throw RunnerFailure.connection(String(describing: error).prefix(200).description)
            }
    }

    private func release(_ channel: any Channel) {
        let key = ObjectIdentifier(channel.eventLoop)
        let kept = idle.withLock { idle in
            guard idle[key, default: []].count < maxIdle else { return false }
            idle[key, default: []].append(channel)
            return true
        }
        if !kept { channel.close(promise: nil) }
    }
}

/// The connection ended before the Runner sent a byte of its reply.
struct StaleConnection: Error {}

/// One call on a connection: what to send, and who hears the outcome (once: the reply, a failure of
/// the connection, or the deadline, whichever comes first).
final class RunnerCall: NIOScheduledCallbackHandler, @unchecked Sendable {
    // @unchecked: made, fired and completed on the channel's event loop only.
    struct Reply {
        var status: Int
        var body: [UInt8]
        var keepAlive: Bool
    }

    let head: HTTPRequestHead
    let body: [UInt8]
    let maxResponseBytes: Int
    private var completion: ((Result<Reply, any Error>) -> Void)?
    /// The deadline's callback, cancelled when the call completes first.
    var timer: NIOScheduledCallback?

    init(head: HTTPRequestHead, body: [UInt8], maxResponseBytes: Int, completion: @escaping (Result<Reply, any Error>) -> Void) {
        self.head = head
        self.body = body
        self.maxResponseBytes = maxResponseBytes
        self.completion = completion
    }

    /// Completes the call; later outcomes are ignored.
    func complete(_ result: Result<Reply, any Error>) {
        guard let completion else { return }
        self.completion = nil
        timer?.cancel()
        timer = nil
        completion(result)
    }

    /// The deadline passed first.
    func handleScheduledCallback(eventLoop: some EventLoop) {
        timer = nil
        complete(.failure(RunnerFailure.timeout))
    }
}

/// Sends a `RunnerCall` (delivered as a user event, on the channel's event loop) and collects its
/// reply; fails it when the connection ends or errs first, or the reply grows past its limit.
final class RunnerCallHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = HTTPClientRequestPart

    private var call: RunnerCall?
    private var status = 0
    private var keepAlive = true
    private var body: [UInt8] = []

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let call = event as? RunnerCall else { return context.fireUserInboundEventTriggered(event) }
        self.call = call
        status = 0
        body.removeAll(keepingCapacity: true)
        context.write(wrapOutboundOut(.head(call.head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: call.body)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let call else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = Int(head.status.code)
            keepAlive = head.isKeepAlive
            if let length = head.headers.first(name: "content-length").flatMap(Int.init), length > call.maxResponseBytes {
                finish(.failure(RunnerFailure.tooLarge), context: context)
            }
        case .body(var buffer):
            guard body.count + buffer.readableBytes <= call.maxResponseBytes else {
                return finish(.failure(RunnerFailure.tooLarge), context: context)
            }
            body += buffer.readBytes(length: buffer.readableBytes) ?? []
        case .end:
            finish(.success(RunnerCall.Reply(status: status, body: body, keepAlive: keepAlive)), context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(.failure(status == 0 ? StaleConnection() as any Error : RunnerFailure.connection("the Runner closed the connection mid-reply")), context: nil)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A reset or broken pipe before any reply byte is the same kept-alive race as a close.
        if status == 0, let io = error as? IOError, [ECONNRESET, EPIPE].contains(io.errnoCode) {
            return finish(.failure(StaleConnection()), context: context)
        }
        finish(.failure(RunnerFailure.connection(String(describing: error).prefix(200).description)), context: context)
    }

    /// Completes the current call once (its completion closes the connection on a failure).
    private func finish(_ result: Result<RunnerCall.Reply, any Error>, context: ChannelHandlerContext?) {
        guard let call else { return }
        self.call = nil
        call.complete(result)
    }
}
