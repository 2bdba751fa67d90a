import Gateway
import Testing

@Suite struct HeaderPolicyTests {
    let policy = HeaderPolicy()

    @Test func inboundKeepsOnlyTheAllowlist() {
        let out = policy.inbound([
            ("Accept", "application/json"), ("Accept-Language", "en"), ("Content-Type", "application/json"), ("User-Agent", "ua"),
            ("X-Request-Id", "r1"), ("X-Idempotency-Key", "k1"), ("X-Ext-Trace", "t"), ("x-ext-trace", "u"),
            ("Authorization", "Bearer secret"), ("Cookie", "a=b"), ("X-Alga-Tenant", "t2"), ("Host", "evil"),
            ("Transfer-Encoding", "chunked"), ("Keep-Alive", "5"), ("X-Forwarded-For", "1.2.3.4"),
        ])
        #expect(out == [
            "accept": "application/json", "accept-language": "en", "content-type": "application/json", "user-agent": "ua",
            "x-request-id": "r1", "x-idempotency-key": "k1", "x-ext-trace": "t, u",
        ])
    }

    @Test func inboundDropsHeadersNamedInConnection() {
        let out = policy.inbound([("Connection", "close, X-Ext-Secret"), ("X-Ext-Secret", "s"), ("X-Ext-Ok", "o")])
        #expect(out == ["x-ext-ok": "o"])
    }

    @Test func injectionAttemptsAreDropped() {
        let inbound = policy.inbound([("X-Ext-A", "ok\r\nX-Evil: 1"), ("X-Ext-B", "nul\u{0}"), ("X-Ext-C", String(repeating: "a", count: 5000)), ("X-Ext Bad", "v")])
        #expect(inbound.isEmpty)
        let outbound = policy.outbound(["X-Ext-A": "a\nb", "Set-Cookie": "s=1", "Location": "https://evil", "X-Ext-Ok": "fine"])
        #expect(outbound.map(\.name) == ["x-ext-ok"])
    }

    @Test(arguments: [
        ("no-store", true), ("private, max-age=60", true), ("public, max-age=60", false), ("max-age=31536000, immutable", false), ("PUBLIC", false),
    ])
    func outboundCacheControl(_ value: String, _ kept: Bool) {
        #expect(policy.outbound(["Cache-Control": value]).isEmpty == !kept)
    }

    @Test func outboundAllowlist() {
        let out = policy.outbound(["Content-Type": "application/json", "ETag": "\"1\"", "X-Ext-Count": "3", "Server": "runner", "Access-Control-Allow-Origin": "*"])
        #expect(out.map(\.name) == ["content-type", "etag", "x-ext-count"])
    }
}
