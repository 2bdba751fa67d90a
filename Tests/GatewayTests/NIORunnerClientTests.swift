import Foundation
import Gateway
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// NIORunnerClient against a real HTTP/1.1 server on a loopback port that answers with scripted
/// raw bytes: keep-alive reuse, chunked and close-delimited replies, dead pooled connections,
/// limits, deadlines and refusals.
@Suite struct NIORunnerClientTests {
    /// A loopback server that answers each complete request with the next scripted reply.
    final class ScriptedServer: @unchecked Sendable {
        enum Step: Sendable {
            case reply(String, close: Bool = false)
            /// Close the connection without answering.
            case drop
        }

        let steps = Mutex<[Step]>([])
        let requests = Mutex<[String]>([])
        let accepted = Atomic<Int>(0)
        var channel: (any Channel)?
        var port: Int { channel?.localAddress?.port ?? 0 }

        final class Connection: ChannelInboundHandler, @unchecked Sendable {
            typealias InboundIn = ByteBuffer
            let server: ScriptedServer
            var pending: [UInt8] = []
            init(server: ScriptedServer) { self.server = server }

            func channelRead(context: ChannelHandlerContext, data: NIOAny) {
                var buffer = unwrapInboundIn(data)
                pending += buffer.readBytes(length: buffer.readableBytes) ?? []
                while let end = pending.firstRange(of: Array("\r\n\r\n".utf8)) {
                    let head = String(decoding: pending[..<end.lowerBound], as: UTF8.self)
                    let length = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                        .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
                    guard pending.count >= end.upperBound + length else { return }
                    pending.removeFirst(end.upperBound + length)
                    server.requests.withLock { $0.append(head) }
                    // A request that asks to hang does, whatever the script says (so a slow
                    // machine that times out before sending cannot leave a hang for the next call).
                    if head.lowercased().contains("x-hang: 1") { return }
                    let step = server.steps.withLock { $0.isEmpty ? Step.reply(Self.ok("{}")) : $0.removeFirst() }
                    switch step {
                    case .drop: context.close(promise: nil); return
                    case .reply(let raw, let close):
                        let written = context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: raw)))
                        if close { written.whenComplete { _ in context.close(promise: nil) } }
                    }
                }
            }

            typealias OutboundOut = ByteBuffer

            static func ok(_ body: String) -> String {
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body
            }
        }

        static func with(host: String = "127.0.0.1", _ body: (ScriptedServer) async throws -> Void) async throws {
            let server = ScriptedServer()
            server.channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .childChannelInitializer { channel in
                    server.accepted.add(1, ordering: .relaxed)
                    return channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Connection(server: server)) }
                }
                .bind(host: host, port: 0).get()
            do {
                try await body(server)
            } catch {
                try? await server.channel?.close()
                throw error
            }
            try? await server.channel?.close()
        }
    }

    static func call(_ client: NIORunnerClient, timeout: Duration = .seconds(5), max: Int = 1 << 20, hang: Bool = false) async throws -> (status: Int, body: String) {
        var headers = [("content-type", "application/json"), ("x-request-id", "r1")]
        if hang { headers.append(("x-hang", "1")) }
        let (status, body) = try await client.execute(body: Array("{\"a\":1}".utf8), headers: headers, timeout: timeout, maxResponseBytes: max)
        return (status, String(decoding: body, as: UTF8.self))
    }

    @Test func keepsTheConnectionAliveAndSendsOneWellFormedRequest() async throws {
        try await ScriptedServer.with { server in
            let client = try #require(NIORunnerClient(baseURL: "http://127.0.0.1:\(server.port)/base/"))
            for _ in 0..<3 { #expect(try await Self.call(client) == (200, "{}")) }
            #expect(server.accepted.load(ordering: .relaxed) == 1)
            #expect(client.connectionsOpened.load(ordering: .relaxed) == 1)
            let head = try #require(server.requests.withLock { $0.first })
            #expect(head.hasPrefix("POST /base/v1/execute HTTP/1.1\r\n"))
            #expect(head.lowercased().contains("host: 127.0.0.1:\(server.port)"))
            #expect(head.lowercased().contains("content-length: 7"))
            #expect(head.lowercased().contains("x-request-id: r1"))
        }
    }

    @Test func anIPv6RunnerGetsABracketedHostField() async throws {
        try await ScriptedServer.with(host: "::1") { server in
            let client = try #require(NIORunnerClient(baseURL: "http://[::1]:\(server.port)"))
            #expect(try await Self.call(client) == (200, "{}"))
            let head = try #require(server.requests.withLock { $0.first })
            #expect(head.lowercased().contains("\r\nhost: [::1]:\(server.port)\r\n"), "\(head)")
        }
    }

    @Test func chunkedAndCloseDelimitedReplies() async throws {
        try await ScriptedServer.with { server in
            let client = try #require(NIORunnerClient(baseURL: "http://127.0.0.1:\(server.port)"))
            server.steps.withLock { $0 = [
                .reply("HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"),
                .reply("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end", close: true),
                .reply(ScriptedServer.Connection.ok("again")),
            ] }
            #expect(try await Self.call(client) == (201, "hello world"))
            #expect(try await Self.call(client) == (200, "until the end"))
            #expect(try await Self.call(client) == (200, "again"))
            // The close-delimited reply cost its connection; the chunked one did not.
            #expect(server.accepted.load(ordering: .relaxed) == 2)
        }
    }

    @Test func aConnectionTheRunnerClosedIsNotReused() async throws {
        try await ScriptedServer.with { server in
            let client = try #require(NIORunnerClient(baseURL: "http://127.0.0.1:\(server.port)"))
            server.steps.withLock { $0 = [.reply(ScriptedServer.Connection.ok("one"), close: true)] }
            #expect(try await Self.call(client) == (200, "one"))
            try await Task.sleep(for: .milliseconds(100))
            #expect(try await Self.call(client) == (200, "{}"))
            #expect(server.accepted.load(ordering: .relaxed) == 2)
        }
    }

    @Test func aKeptAliveConnectionDroppedBeforeAnyReplyIsRetriedOnceOnANewOne() async throws {
        try await ScriptedServer.with { server in
            let client = try #require(NIORunnerClient(baseURL: "http://127.0.0.1:\(server.port)"))
            server.steps.withLock { $0 = [.reply(ScriptedServer.Connection.ok("one")), .drop, .reply(ScriptedServer.Connection.ok("two"))] }
            #expect(try await Self.call(client) == (200, "one"))
            #expect(try await Self.call(client) == (200, "two"))
            #expect(server.requests.withLock { $0.count } == 3)
            // On a new connection a drop is a failure: nothing was reused, nothing is retried.
            server.steps.withLock { $0 = [.drop] }
            let fresh = try #require(NIORunnerClient(baseURL: "http://127.0.0.1:\(server.port)"))
            do {
                _ = try await Self.call(fresh)
                Issue.record("a dropped call succeeded")
            } catch let failure as RunnerFailure {
                guard case .connection = failure else { Issue.record("\(failure)"); return }
            }
            #expect(server.requests.withLock { $0.count } == 4)
        }
    }

    /// The gateway's event-loop path: a call made on a loop takes that loop's kept-alive connection
    /// at once, and keeps the dropped-connection retry and the deadline.
    @Test func callsMadeOnAnEventLoopReuseItsConnectionsAndKeepTheRetryAndTheDeadline() async throws {
        try await ScriptedServer.with { server in
            let client = try #require(NIORunnerClient(baseURL: "http://127.0.0.1:\(server.port)"))
            let loop = MultiThreadedEventLoopGroup.singleton.next()
            @Sendable func onLoop(_ timeout: TimeAmount = .seconds(5), hang: Bool = false) async throws -> (status: Int, body: String) {
                let headers = hang ? [("x-hang", "1")] : [("x-request-id", "r1")]
                let reply = try await loop.flatSubmit {
                    client.execute(on: loop, body: Array("{}".utf8), headers: headers, deadline: .now() + timeout, maxResponseBytes: 1 << 20)
                }.get()
                return (reply.status, String(decoding: reply.body, as: UTF8.self))
            }
            server.steps.withLock { $0 = [.reply(ScriptedServer.Connection.ok("one")), .reply(ScriptedServer.Connection.ok("two")), .drop,
                                          .reply(ScriptedServer.Connection.ok("three"))] }
            #expect(try await onLoop() == (200, "one"))
            #expect(try await onLoop() == (200, "two"))
            #expect(server.accepted.load(ordering: .relaxed) == 1)
            #expect(try await onLoop() == (200, "three"))
            #expect(server.accepted.load(ordering: .relaxed) == 2)
            #expect(server.requests.withLock { $0.count } == 4)
            await #expect(throws: RunnerFailure.timeout) { try await onLoop(.milliseconds(200), hang: true) }
            #expect(try await onLoop() == (200, "{}"))
        }
    }

    @Test func aHeaderValueThatCouldEndItsFieldFailsTheCallAndSendsNothing() async throws {
        try await ScriptedServer.with { server in
            let client = try #require(NIORunnerClient(baseURL: "http://127.0.0.1:\(server.port)"))
            for value in ["t1\r\nx-injected: 1", "t1\n", "nul\u{0}", "del\u{7F}"] {
                do {
                    _ = try await client.execute(body: [], headers: [("x-alga-tenant", value)], timeout: .seconds(5), maxResponseBytes: 1 << 20)
                    Issue.record("a call with a control character in a header value was sent")
                } catch let failure as RunnerFailure {
                    guard case .connection = failure else { Issue.record("\(failure)"); return }
                }
            }
            #expect(server.accepted.load(ordering: .relaxed) == 0)
            // Tabs, spaces and obs-text are field content.
            let sent = try await client.execute(body: [], headers: [("x-ext-a", "a\tb c \u{E9}")], timeout: .seconds(5), maxResponseBytes: 1 << 20)
            #expect(sent.status == 200)
        }
    }

    @Test func repliesPastTheLimitAreTooLarge() async throws {
        try await ScriptedServer.with { server in
            let client = try #require(NIORunnerClient(baseURL: "http://127.0.0.1:\(server.port)"))
            server.steps.withLock { $0 = [
                .reply(ScriptedServer.Connection.ok(String(repeating: "x", count: 100))),
                .reply("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n40\r\n" + String(repeating: "y", count: 64) + "\r\n40\r\n" + String(repeating: "y", count: 64) + "\r\n0\r\n\r\n"),
            ] }
            await #expect(throws: RunnerFailure.tooLarge) { try await Self.call(client, max: 99) }
            await #expect(throws: RunnerFailure.tooLarge) { try await Self.call(client, max: 100) }
            #expect(try await Self.call(client, max: 100) == (200, "{}"))
        }
    }

    @Test func aHangingRunnerTimesOutAndARefusingOneIsAConnectionFailure() async throws {
        try await ScriptedServer.with { server in
            let client = try #require(NIORunnerClient(baseURL: "http://127.0.0.1:\(server.port)"))
            await #expect(throws: RunnerFailure.timeout) { try await Self.call(client, timeout: .milliseconds(200), hang: true) }
            #expect(try await Self.call(client) == (200, "{}"))
        }
        // Nothing listens on port 1.
        let refused = try #require(NIORunnerClient(baseURL: "http://127.0.0.1:1"))
        do {
            _ = try await Self.call(refused)
            Issue.record("a refused connection succeeded")
        } catch let failure as RunnerFailure {
            guard case .connection = failure else { Issue.record("\(failure)"); return }
        }
    }

    @Test(arguments: [
        ("http://runner:8080", "runner", 8080), ("http://runner", "runner", 80), ("HTTP://10.0.0.1:9/x/", "10.0.0.1", 9), ("http://[::1]:7000/", "::1", 7000),
    ])
    func baseURLs(_ url: String, _ host: String, _ port: Int) throws {
        let client = try #require(NIORunnerClient(baseURL: url))
        #expect(client.host == host && client.port == port)
    }

    @Test(arguments: ["https://runner:8443", "ftp://runner", "http://", "http://runner:0", "http://runner:99999", "http://user@runner", "http://runner:x", "http://[::1"])
    func unusableBaseURLs(_ url: String) {
        #expect(NIORunnerClient(baseURL: url) == nil)
    }
}
