import Testing

@testable import UIServe

/// `HostFieldRule` (RFC 9112 §3.2, RFC 3986 §3.2.2–3.2.3), and the 400 it leads to through the
/// real server on both sides of the decoder.
@Suite struct HostFieldRuleTests {
    @Test(arguments: [
        "example.com", "example.com:8080", "EXAMPLE.com:", "127.0.0.1", "[::1]", "[::1]:443", "[v1.fe80::a+en1]", "",
        "a%20b", "xn--bcher-kva.example", "a_b~c", "host!$&'()*+,;=",
    ])
    func acceptsHosts(_ value: String) {
        #expect(HostFieldRule.isValid(value.utf8), "\(value.debugDescription)")
    }

    @Test(arguments: [
        "a b", "[::1", "::1", "host:port", "host:80:90", "a/b", "user@host", "%zz", "%2", "[]", "[::1]x", "[::1]:8x", "caf\u{E9}",
        "a\tb", "host:-1",
    ])
    func refusesHosts(_ value: String) {
        #expect(!HostFieldRule.isValid(value.utf8), "\(value.debugDescription)")
    }

    /// One Host, valid; none only before HTTP/1.1; never two, not even the same twice.
    @Test(arguments: [
        (true, [], false), (false, [], true), (true, ["a"], true), (false, ["a"], true), (true, ["a", "b"], false),
        (false, ["a", "a"], false), (true, ["example.com \t"], true), (true, ["a b"], false),
    ] as [(Bool, [String], Bool)])
    func acceptsRequests(_ isHTTP11: Bool, _ hosts: [String], _ accepted: Bool) {
        #expect(HostFieldRule.accepts(isHTTP11: isHTTP11, hosts: hosts) == accepted, "\(hosts)")
    }

    /// Without a Host, with two, or with a bad one: 400 with the error's JSON and
    /// `Connection: close`, on a kept-alive connection and with `Connection: close` alike, and the
    /// connection closes. An HTTP/1.0 request needs no Host.
    @Test func refusesThroughTheServer() async throws {
        try await RawRequestHandlerTests.warmed { port, target, _ in
            let heads = [
                "GET \(target) HTTP/1.1\r\nx-request-id: h-1\r\n\r\n",
                "GET \(target) HTTP/1.1\r\nHost: a\r\nHost: a\r\nx-request-id: h-1\r\n\r\n",
                "GET \(target) HTTP/1.1\r\nHost: a b\r\nx-request-id: h-1\r\n\r\n",
                "GET \(target) HTTP/1.1\r\nx-request-id: h-1\r\nConnection: close\r\n\r\n",
                "GET /healthz HTTP/1.1\r\nHost: one\r\nhost: two\r\nx-request-id: h-1\r\n\r\n",
                "GET /healthz HTTP/1.0\r\nHost: one\r\nhost: two\r\nx-request-id: h-1\r\n\r\n",
            ]
            for head in heads {
                let connection = try RawHTTPConnection(port: port)
                try await connection.send(head)
                let refused = try await connection.response()
                #expect(refused.status == 400, "\(head.debugDescription)")
                #expect(refused.field("connection") == "close")
                #expect(String(decoding: refused.body, as: UTF8.self) == #"{"error":"invalid_host","requestId":"h-1"}"#)
                #expect(try await connection.readsEndOfStream(), "\(head.debugDescription)")
            }
            let old = try RawHTTPConnection(port: port)
            try await old.send("GET /healthz HTTP/1.0\r\n\r\n")
            #expect(try await old.response().status == 200)
        }
    }

    /// Pipelined behind a request Hummingbird answers, the refusal waits its turn: the answers
    /// before it arrive whole and in order, then the 400, then the connection closes, and nothing
    /// after the refused request is answered.
    @Test func refusesInTurn() async throws {
        try await RawRequestHandlerTests.warmed { _, target, connection in
            try await connection.send([
                ExtUIFastPathTests.request(target, ["x-request-id: t-1"]),
                ExtUIFastPathTests.request(target, ["x-request-id: t-2", "Range: bytes=0-1,5-6"]),
                "GET \(target) HTTP/1.1\r\nx-request-id: t-3\r\n\r\n",
                ExtUIFastPathTests.request(target, ["x-request-id: t-4"]),
            ].joined())
            var seen: [String] = []
            for _ in 0..<3 {
                let response = try await connection.response()
                seen.append("\(response.status) \(response.field("x-request-id") ?? "")")
            }
            #expect(seen == ["200 t-1", "206 t-2", "400 t-3"])
            #expect(try await connection.readsEndOfStream())
        }
    }
}
