import Foundation
import Gateway
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import UIServe

/// The gateway's event-loop answers (`FastPathHandler` with `GatewayAnswerer`) through the real
/// server and a real fake Runner, over raw connections: each answer is the one Hummingbird's path
/// writes, the Runner receives the same envelope from both, pipelined requests keep their order
/// behind a Runner call, and body limits and deadlines hold there too.
@Suite struct GatewayFastPathTests {
    static let usage = UsageRecorder.Configuration(flushInterval: .seconds(600))

    static func request(_ target: String, _ fields: [String], method: String = "GET", body: String = "", close: Bool = false) -> String {
        var lines = [method + " " + target + " HTTP/1.1", "Host: test"] + fields
        if !body.isEmpty || method == "POST" { lines.append("Content-Length: \(body.utf8.count)") }
        if close { lines.append("Connection: close") }
        return lines.joined(separator: "\r\n") + "\r\n\r\n" + body
    }

    static func eventLoopAnswers(port: Int) async throws -> Int {
        let connection = try RawHTTPConnection(port: port)
        try await connection.send(ExtUIFastPathTests.request("/metrics"))
        let text = String(decoding: try await connection.response().body, as: UTF8.self)
        return text.split(separator: "\n").first { $0.hasPrefix("uiserve_gateway_event_loop_answers_total ") }
            .flatMap { Double($0.split(separator: " ")[1]) }.map { Int($0) } ?? 0
    }

    /// Each request goes once with `Connection: close` (always Hummingbird's path) and once on a
    /// kept-alive connection (the event loop's, once the token, the registry answers and the quota
    /// total are remembered). Status line, fields but Date, body and the Runner's envelope match.
    @Test func bothPathsSendTheSameAnswerAndEnvelope() async throws {
        try await GatewayRouteTests.withGateway(["EXT_GATEWAY_ALLOWED_ORIGINS": "https://host.example"], usage: Self.usage) { client, runner, _, auth, _ in
            let port = try #require(client.port)
            let bearer = "Authorization: " + auth[.authorization]!
            let other = "Authorization: Bearer " + (try await GatewayRouteTests.token(tenant: "t2"))
            let ok = #"{"status":200,"headers":{"content-type":"application/json","x-ext-count":"2","set-cookie":"a=b"},"body_b64":"eyJpZCI6IjQyIn0="}"#
            let cases: [(method: String, target: String, fields: [String], body: String, runner: String, eventLoop: Bool)] = [
                ("GET", "/api/ext/acme.hello/items/42?full=1&x=%20y", [bearer, "x-request-id: gw-1", "X-Ext-Trace: abc", "Cookie: s=1"], "", ok, true),
                ("HEAD", "/api/ext/acme.hello/items/42", [bearer, "x-request-id: gw-2"], "", ok, true),
                ("POST", "/api/ext/acme.hello/items", [bearer, "x-request-id: gw-3", "Content-Type: application/json", "X-Idempotency-Key: k-1"],
                 #"{"name":"x"}"#, ok, true),
                ("GET", "/api/ext/acme.hello/items", [bearer, "x-request-id: gw-4", "Origin: https://host.example"], "",
                 #"{"status":204,"headers":{"etag":"\"v1\""}}"#, true),
                ("GET", "/api/ext/acme.hello/items", [bearer, "x-request-id: gw-5"], "", #"{"status":200,"body_b64":"***"}"#, true),
                ("GET", "/api/ext/acme.hello/items", [bearer, "x-request-id: gw-6"], "", #"{"status":404,"headers":{"x-ext-why":"gone"}}"#, true),
                ("GET", "/api/ext/acme.hello/nothing", [bearer, "x-request-id: gw-7"], "", ok, true),
                ("DELETE", "/api/ext/acme.hello/items/42", [bearer, "x-request-id: gw-8"], "", ok, true),
                ("GET", "/api/ext/acme.hello/items", [bearer, "x-request-id: gw-9", "x-alga-tenant: t2"], "", ok, true),
                ("GET", "/api/ext/acme.hello/items", [other, "x-request-id: gw-10"], "", ok, true),
                ("GET", "/api/ext/acme.hello/items", ["x-request-id: gw-11"], "", ok, true),
                ("OPTIONS", "/api/ext/acme.hello/items", ["x-request-id: gw-12", "Origin: https://host.example",
                                                         "Access-Control-Request-Headers: authorization, x-evil"], "", ok, true),
                ("TRACE", "/api/ext/acme.hello/items", ["x-request-id: gw-13"], "", ok, true),
                ("GET", "/api/ext/acme.unknown/items", [bearer, "x-request-id: gw-14"], "", ok, true),
                ("GET", "/api/ext/acme.hello/items", ["Authorization: Bearer not.a.token", "x-request-id: gw-15"], "", ok, false),
            ]
            let kept = try RawHTTPConnection(port: port)
            for item in cases {
                runner.mode.withLock { $0 = .raw(item.runner) }
                runner.received.withLock { $0 = [] }
                let closing = try RawHTTPConnection(port: port)
                try await closing.send(Self.request(item.target, item.fields, method: item.method, body: item.body, close: true))
                let slow = try await closing.response(headOnly: item.method == "HEAD")
                let slowEnvelope = runner.received.withLock { $0.map(\.raw) }
                runner.received.withLock { $0 = [] }
                try await kept.send(Self.request(item.target, item.fields, method: item.method, body: item.body))
                let fast = try await kept.response(headOnly: item.method == "HEAD")
                let fastEnvelope = runner.received.withLock { $0.map(\.raw) }
                #expect(fast.statusLine == slow.statusLine, "\(item.fields)")
                #expect(ExtUIFastPathTests.comparable(fast) == ExtUIFastPathTests.comparable(slow), "\(item.fields)")
                #expect(fast.body == slow.body, "\(item.fields)")
                #expect(fastEnvelope == slowEnvelope, "\(item.fields)")
                #expect(fast.field("date") != nil && fast.field("server") == "uiserve")
            }
            #expect(try await Self.eventLoopAnswers(port: port) == cases.filter(\.eventLoop).count)
        }
    }

    /// Requests written behind a Runner call in one go wait for it, and the answers come back in
    /// the order asked, whichever path each takes (`/healthz` is Hummingbird's).
    @Test func pipelinedRequestsKeepTheirOrderBehindARunnerCall() async throws {
        try await GatewayRouteTests.withGateway([:], usage: Self.usage) { client, runner, _, auth, _ in
            let port = try #require(client.port)
            let bearer = "Authorization: " + auth[.authorization]!
            #expect(try await client.execute(uri: "/api/ext/acme.hello/items", method: .get, headers: auth).status == .ok)
            let kept = try RawHTTPConnection(port: port)
            let targets = ["/api/ext/acme.hello/items/1", "/healthz", "/api/ext/acme.hello/items/2", "/api/ext/acme.hello/nothing",
                           "/api/ext/acme.hello/items/3", "/healthz"]
            try await kept.send(targets.enumerated().map { Self.request($1, [bearer, "x-request-id: p-\($0)"]) }.joined())
            for (index, target) in targets.enumerated() {
                let response = try await kept.response()
                #expect(response.field("x-request-id") == "p-\(index)", "\(target)")
                #expect(response.status == (target.hasSuffix("nothing") ? 404 : 200), "\(target)")
            }
            let ids = runner.received.withLock { $0.compactMap { $0.headers["x-request-id"] } }
            #expect(ids.suffix(3) == ["p-0", "p-2", "p-4"])
            // The first is answered here; once `/healthz` is passed on, the rest follow it through
            // Hummingbird (its answer is not out yet when they are read), which keeps the order.
            #expect(try await Self.eventLoopAnswers(port: port) >= 1)
        }
    }

    /// A body over the limit gets 413 on the event loop whether or not it announced its length,
    /// the Runner is not called, and the connection serves the next request.
    @Test func bodyLimitOnTheEventLoop() async throws {
        try await GatewayRouteTests.withGateway(["EXT_GATEWAY_MAX_BODY_BYTES": "1024"], usage: Self.usage) { client, runner, _, auth, _ in
            let port = try #require(client.port)
            let bearer = "Authorization: " + auth[.authorization]!
            #expect(try await client.execute(uri: "/api/ext/acme.hello/items", method: .get, headers: auth).status == .ok)
            runner.received.withLock { $0 = [] }
            let kept = try RawHTTPConnection(port: port)
            try await kept.send(Self.request("/api/ext/acme.hello/items", [bearer], method: "POST", body: String(repeating: "a", count: 2048)))
            #expect(try await kept.response().status == 413)
            let chunk = String(repeating: "b", count: 700)
            let chunked = ["POST /api/ext/acme.hello/items HTTP/1.1", "Host: test", bearer, "Transfer-Encoding: chunked"].joined(separator: "\r\n")
                + "\r\n\r\n" + String(chunk.utf8.count, radix: 16) + "\r\n" + chunk + "\r\n" + String(chunk.utf8.count, radix: 16) + "\r\n" + chunk + "\r\n0\r\n\r\n"
            try await kept.send(chunked)
            #expect(try await kept.response().status == 413)
            try await kept.send(Self.request("/api/ext/acme.hello/items", [bearer], method: "POST", body: "{}"))
            #expect(try await kept.response().status == 200)
            #expect(runner.calls == 1)
            #expect(try await Self.eventLoopAnswers(port: port) == 3)
        }
    }

    /// A Runner that hangs: 504 at the deadline from the event loop, and a request pipelined
    /// behind it is answered after it.
    @Test func aHangingRunnerTimesOutOnTheEventLoop() async throws {
        try await GatewayRouteTests.withGateway(["EXT_GATEWAY_TIMEOUT_MS": "1500"], usage: Self.usage) { client, runner, _, auth, _ in
            let port = try #require(client.port)
            let bearer = "Authorization: " + auth[.authorization]!
            #expect(try await client.execute(uri: "/api/ext/acme.hello/items", method: .get, headers: auth).status == .ok)
            runner.mode.withLock { $0 = .hang }
            let kept = try RawHTTPConnection(port: port)
            let started = ContinuousClock.now
            try await kept.send(Self.request("/api/ext/acme.hello/items", [bearer, "x-request-id: h-1"]) + Self.request("/healthz", ["x-request-id: h-2"]))
            let timedOut = try await kept.response()
            #expect(timedOut.status == 504)
            #expect(String(decoding: timedOut.body, as: UTF8.self).contains("runner_timeout"))
            #expect(ContinuousClock.now - started < .seconds(30))
            let next = try await kept.response()
            #expect(next.status == 200 && next.field("x-request-id") == "h-2")
            #expect(try await Self.eventLoopAnswers(port: port) == 1)
        }
    }
}
