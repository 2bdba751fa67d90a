import BundleIndex
import Foundation
import HummingbirdTesting
import Logging
import Prometheus
import Testing

@testable import UIServe

/// `ExtUIFastPath` through the real server over raw connections: an answer written on the event
/// loop is byte for byte the answer Hummingbird writes, responses keep request order when
/// pipelined requests take both paths, and a request's body and `Connection: close` are honoured.
@Suite struct ExtUIFastPathTests {
    static func request(_ target: String, _ fields: [String] = [], method: String = "GET", close: Bool = false) -> String {
        ([method + " " + target + " HTTP/1.1", "Host: test"] + fields + (close ? ["Connection: close"] : [])).joined(separator: "\r\n") + "\r\n\r\n"
    }

    /// The fields that may differ between two answers to the same request.
    static func comparable(_ response: RawHTTPConnection.Response) -> [String] {
        response.fields.filter { $0.name != "date" && $0.name != "connection" }.map { "\($0.name): \($0.value)" }
    }

    static func eventLoopAnswers(port: Int) async throws -> Int? { try await metric("uiserve_ext_ui_event_loop_answers_total", port: port) }

    /// A counter's value from `/metrics`.
    static func metric(_ name: String, port: Int) async throws -> Int? {
        let connection = try RawHTTPConnection(port: port)
        try await connection.send(request("/metrics"))
        let text = String(decoding: try await connection.response().body, as: UTF8.self)
        return text.split(separator: "\n").first { $0.hasPrefix(name + " ") }
            .flatMap { Double($0.split(separator: " ")[1]) }.map { Int($0) }
    }

    /// Sends `target` until an answer comes from the memo (the file must first be held by the hot
    /// cache, which a loaded machine may take a few requests to fill); the memo's answer count.
    static func requestUntilRemembered(_ target: String, on connection: RawHTTPConnection, port: Int) async throws -> Int {
        var remembered = 0
        for _ in 0..<100 where remembered == 0 {
            try await connection.send(request(target))
            #expect(try await connection.response().status == 200)
            remembered = try await metric("uiserve_ext_ui_memo_answers_total", port: port) ?? 0
            if remembered == 0 { try await Task.sleep(for: .milliseconds(20)) }
        }
        return remembered
    }

    /// Each request is sent with `Connection: close` (always passed on to Hummingbird) and then
    /// without it on a kept-alive connection (answered from memory once the file is held).
    @Test func bothPathsSendTheSameAnswer() async throws {
        try await ExtUIRouteTests.withServer { client, harness in
            let port = try #require(client.port)
            let base = ExtUIRouteTests.base(harness)
            let etag = try #require(try await client.execute(uri: base + "/app.js", method: .get).headers[.eTag])
            let cases: [(method: String, target: String, fields: [String], eventLoop: Bool)] = [
                ("GET", base + "/app.js", ["x-request-id: same-1"], true),
                ("GET", base + "/app.js", ["x-request-id: same-2", "Accept-Encoding: br, gzip"], true),
                ("HEAD", base + "/style.css", ["x-request-id: same-3"], true),
                ("GET", base + "/app.js", ["x-request-id: same-4", "Range: bytes=-10"], true),
                ("GET", base + "/app.js", ["x-request-id: same-5", "Range: bytes=0-1,5-6"], false),
                ("GET", base + "/app.js", ["x-request-id: same-6", "If-None-Match: W/\"x\", " + etag], true),
                ("GET", base + "/app.js", ["x-request-id: same-7", "If-Match: \"nope\""], true),
                ("GET", base + "/", ["x-request-id: same-8"], true),
                ("GET", base + "/some/route", ["x-request-id: same-9", "Sec-Fetch-Dest: iframe"], true),
                ("GET", base + "/settings", ["x-request-id: same-10"], true),
                ("GET", base + "/missing.js", ["x-request-id: same-11"], true),
                ("GET", base + "/a%00.js", ["x-request-id: same-12"], true),
                ("POST", base + "/app.js", ["x-request-id: same-13", "Content-Length: 0"], true),
                ("GET", "/ext-ui/acme.hello/" + harness.demoHash.hex, ["x-request-id: same-14"], true),
                ("GET", "/ext-ui/acme.other/\(harness.demoHash)/app.js", ["x-request-id: same-15"], false),
            ]
            let kept = try RawHTTPConnection(port: port)
            for item in cases {
                let closing = try RawHTTPConnection(port: port)
                try await closing.send(Self.request(item.target, item.fields, method: item.method, close: true))
                let slow = try await closing.response(headOnly: item.method == "HEAD")
                #expect(try await closing.readsEndOfStream(), "\(item.target)")
                // Twice: the second time a plain request is answered from the memo.
                for _ in 0..<2 {
                    try await kept.send(Self.request(item.target, item.fields, method: item.method))
                    let fast = try await kept.response(headOnly: item.method == "HEAD")
                    #expect(fast.statusLine == slow.statusLine, "\(item.fields)")
                    #expect(Self.comparable(fast) == Self.comparable(slow), "\(item.fields)")
                    #expect(fast.body == slow.body, "\(item.fields)")
                    #expect(fast.field("date") != nil && fast.field("server") == "uiserve")
                }
            }
            #expect(try await Self.eventLoopAnswers(port: port) == 2 * cases.filter(\.eventLoop).count)
            // GET, br, HEAD, the directory's index and the navigation fallback: plain, 200, held.
            #expect(try await Self.metric("uiserve_ext_ui_memo_answers_total", port: port) == 5)
        }
    }

    /// NIO's server pipeline pairs its request decoder with the response encoder, which frames each
    /// response by the method of the oldest request it has not yet answered. Answers written past
    /// the encoder never took theirs: after HEADs answered on the event loop, the next response
    /// Hummingbird wrote on the connection lost its body (`Content-Length: 15` and no bytes), and the
    /// queue grew by one method per event-loop answer for the connection's life.
    @Test func answersPastTheEncoderLeaveHummingbirdsFramingAlone() async throws {
        try await ExtUIRouteTests.withServer { client, harness in
            let port = try #require(client.port)
            let base = ExtUIRouteTests.base(harness)
            #expect(try await client.execute(uri: base + "/style.css", method: .get).status == .ok)
            let kept = try RawHTTPConnection(port: port)
            for _ in 0..<3 {
                try await kept.send(Self.request(base + "/style.css", method: "HEAD"))
                #expect(try await kept.response(headOnly: true).status == 200)
            }
            #expect(try await Self.eventLoopAnswers(port: port) ?? 0 >= 2)
            for _ in 0..<3 {
                try await kept.send(Self.request("/healthz"))
                let health = try await kept.response()
                #expect(health.status == 200)
                #expect(String(decoding: health.body, as: UTF8.self) == #"{"status":"ok"}"#)
            }
        }
    }

    /// A file too large for the hot cache: streamed by Hummingbird, written by `sendfile` here;
    /// the same bytes whole, in a range across a read chunk and as a suffix.
    @Test func largeFilesBySendfileMatchTheStreamedOnes() async throws {
        try await ExtUIRouteTests.withLargeFileServer { client, target in
            let port = try #require(client.port)
            #expect(try await client.execute(uri: target, method: .get).status == .ok)
            let kept = try RawHTTPConnection(port: port)
            for fields in [["x-request-id: big"], ["x-request-id: big", "Range: bytes=131060-131091"], ["x-request-id: big", "Range: bytes=-10"],
                           ["x-request-id: big", "Range: bytes=3145000-"]] {
                let closing = try RawHTTPConnection(port: port)
                try await closing.send(Self.request(target, fields, close: true))
                let slow = try await closing.response()
                try await kept.send(Self.request(target, fields))
                let fast = try await kept.response()
                #expect(fast.statusLine == slow.statusLine, "\(fields)")
                #expect(Self.comparable(fast) == Self.comparable(slow), "\(fields)")
                #expect(fast.body == slow.body, "\(fields)")
            }
            try await kept.send(Self.request(target))
            let whole = try await kept.response()
            #expect(whole.body == ExtUIRouteTests.big)
            #expect(try await Self.eventLoopAnswers(port: port) == 5)
        }
    }

    /// A client that pipelines many requests for a large file and reads nothing: once the unsent
    /// bytes pass the connection's high watermark, requests go to Hummingbird's writer (which waits
    /// for the socket) instead of queueing answers that each hold an open file. All answers still
    /// arrive, in order and whole.
    @Test func unreadPipelinedAnswersAreBounded() async throws {
        try await ExtUIRouteTests.withLargeFileServer { client, target in
            let port = try #require(client.port)
            #expect(try await client.execute(uri: target, method: .get).status == .ok)
            func openDescriptors() throws -> Int { try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count }
            let before = try openDescriptors()
            let connection = try RawHTTPConnection(port: port)
            let count = 600
            try await connection.send((0..<count).map { Self.request(target, ["Range: bytes=0-99999", "x-request-id: unread-\($0)"]) }.joined())
            // The first answer's arrival means the server has read a first batch; the most open
            // descriptors seen over the next half second (while nothing is read) stay few. Without
            // back-pressure up to 560 answers waited here, each with an open file.
            let first = try await connection.response()
            #expect(first.status == 206)
            var most = 0
            for _ in 0..<10 {
                most = max(most, try openDescriptors() - before)
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(most < 50)
            for index in 1..<count {
                let response = try await connection.response()
                #expect(response.field("x-request-id") == "unread-\(index)")
                #expect(response.body == Array(ExtUIRouteTests.big[0..<100_000]))
            }
        }
    }

    /// Pipelined requests written at once, alternating between answers from memory and requests
    /// passed on (ops routes, a cold file): the responses come back in request order.
    @Test func pipelinedResponsesKeepRequestOrder() async throws {
        try await ExtUIRouteTests.withServer { client, harness in
            let port = try #require(client.port)
            let base = ExtUIRouteTests.base(harness)
            _ = try await client.execute(uri: base + "/app.js", method: .get)
            let targets = [base + "/app.js", "/healthz", base + "/app.js", base + "/img/logo.png", base + "/app.js", "/readyz", base + "/app.js", base + "/app.js"]
            let connection = try RawHTTPConnection(port: port)
            try await connection.send(targets.enumerated().map { Self.request($0.element, ["x-request-id: order-\($0.offset)"]) }.joined())
            for index in targets.indices {
                let response = try await connection.response()
                #expect(response.field("x-request-id") == "order-\(index)")
                #expect(response.status == 200, "\(targets[index])")
            }
            // Once nothing is pending, the same connection is answered from memory again.
            try await connection.send(Self.request(base + "/app.js"))
            #expect(try await connection.response().status == 200)
            #expect(try await Self.eventLoopAnswers(port: port) ?? 0 >= 2)
        }
    }

    /// A GET that carries a body is answered and its body dropped, so the next request on the
    /// connection is read from the right byte; `Connection: close` ends the connection after the answer.
    @Test func requestBodiesAreSkippedAndCloseIsHonoured() async throws {
        try await ExtUIRouteTests.withServer { client, harness in
            let port = try #require(client.port)
            let base = ExtUIRouteTests.base(harness)
            _ = try await client.execute(uri: base + "/app.js", method: .get)
            let connection = try RawHTTPConnection(port: port)
            // A body that looks like a request must not be read as one.
            let body = "GET /healthz HTTP/1.1\r\n\r\n"
            try await connection.send(Self.request(base + "/app.js", ["Content-Length: \(body.utf8.count)"]) + body
                                + Self.request(base + "/style.css", ["Transfer-Encoding: chunked"]) + "5\r\nhello\r\n0\r\n\r\n"
                                + Self.request(base + "/app.js", close: true))
            let first = try await connection.response()
            let second = try await connection.response()
            let third = try await connection.response()
            #expect(first.status == 200 && second.status == 200 && third.status == 200)
            #expect(second.field("content-type") == "text/css; charset=utf-8")
            #expect(first.body == third.body)
            #expect(try await connection.readsEndOfStream())
        }
    }

    /// A memoized answer is used only while the resolver still returns its bundle: once a yanked
    /// version's registry answer is older than the TTL, the same plain request gets 404.
    @Test func theMemoDoesNotOutliveTheRegistryAnswer() async throws {
        // A TTL long enough for the memo to be used first on a loaded machine (within a TTL, a
        // request whose registry answer went stale takes the whole path and misses the memo).
        try await ExtUIRouteTests.withServer(["EXT_REGISTRY_CACHE_TTL_MS": "1500"]) { client, harness in
            let port = try #require(client.port)
            let target = ExtUIRouteTests.base(harness) + "/app.js"
            let kept = try RawHTTPConnection(port: port)
            let remembered = try await Self.requestUntilRemembered(target, on: kept, port: port)
            #expect(remembered >= 1)
            #expect(try await harness.registry.yank(extensionID: harness.demoExtensionID, version: "1.0.0", actor: "test"))
            try await Task.sleep(for: .milliseconds(1700))
            try await kept.send(Self.request(target))
            #expect(try await kept.response().status == 404)
        }
    }

    /// A memoized answer is not used once its bundle is denied (as a SIGHUP reload of the denylist
    /// does), however fresh the registry's answer: the very next request takes the whole path.
    @Test func theMemoDoesNotOutliveADenial() async throws {
        let harness = try await ServerHarness.make()
        do {
            // The cache counts into the application's registry, as `serve` sets it up.
            let prometheus = PrometheusCollectorRegistry()
            let cache = try BundleCache(configuration: harness.configuration.cacheConfiguration, store: harness.store,
                                        trust: harness.configuration.loadTrust(), logger: Logger(label: "test"),
                                        metrics: CacheMetrics(factory: PrometheusMetricsFactory(registry: prometheus)))
            let app = try UIServeApplication.build(configuration: harness.configuration, registry: harness.registry, cache: cache,
                                                   logger: Logger(label: "test"), prometheus: prometheus)
            try await app.test(.live) { client in
                let port = try #require(client.port)
                let target = ExtUIRouteTests.base(harness) + "/app.js"
                let kept = try RawHTTPConnection(port: port)
                let remembered = try await Self.requestUntilRemembered(target, on: kept, port: port)
                #expect(remembered >= 1)
                // A memo answer is still a cache hit in `/metrics`.
                let hits = try await Self.metric("uiserve_cache_hits_total", port: port) ?? 0
                try await kept.send(Self.request(target))
                #expect(try await kept.response().status == 200)
                #expect(try await Self.metric("uiserve_cache_hits_total", port: port) == hits + 1)
                let answeredFromMemo = try await Self.metric("uiserve_ext_ui_memo_answers_total", port: port) ?? 0
                cache.updateDenylist([harness.demoHash])
                try await kept.send(Self.request(target))
                let refused = try await kept.response()
                #expect(refused.status >= 400, "a denied bundle's file was served")
                #expect(try await Self.metric("uiserve_ext_ui_memo_answers_total", port: port) == answeredFromMemo)
            }
        } catch {
            await harness.cleanUp()
            throw error
        }
        await harness.cleanUp()
    }
}
