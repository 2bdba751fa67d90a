import BundleIndex
import Foundation
import Gateway
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JWTKit
import Logging
import Prometheus
import TestSupport
import Testing

@testable import UIServe

/// /api/ext through the real HTTP server, against a fake Runner that is a real HTTP server on a
/// loopback port, over a real SQLite registry with the demo extension installed for tenant t1.
@Suite struct GatewayRouteTests {
    static let secret = "gateway-test-secret-of-32-bytes-or-more"

    struct Claims: JWTPayload {
        var tenant: String
        var sub: String
        var exp: Double
        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    static func token(tenant: String = "t1") async throws -> String {
        try await JWTKeyCollection().add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
            .sign(Claims(tenant: tenant, sub: "user-1", exp: Date().timeIntervalSince1970 + 600))
    }

    static func withGateway(_ extra: [String: String] = [:],
                            _ body: @escaping @Sendable (any TestClientProtocol, FakeRunner, ServerHarness, HTTPFields) async throws -> Void) async throws {
        try await withGateway(extra, usage: nil) { client, runner, harness, auth, _ in try await body(client, runner, harness, auth) }
    }

    /// A gateway whose registry lookups are cached (so they outlive a stopped database) and, when
    /// `usage` is given, with an execution log and quota writing to its own connection to the
    /// harness's database; its service runs alongside (give it a long `flushInterval` and call
    /// `UsageRecorder.flush` in the test to decide when rows are written).
    static func withGateway(_ extra: [String: String] = [:], usage: UsageRecorder.Configuration?,
                            _ body: @escaping @Sendable (any TestClientProtocol, FakeRunner, ServerHarness, HTTPFields, Usage?) async throws -> Void) async throws {
        try await FakeRunner.with { runner in
            let port = try #require(runner.port.withLock { $0 })
            var environment = ["RUNNER_BASE_URL": "http://127.0.0.1:\(port)", "EXT_GATEWAY_JWT_SECRET": secret, "EXT_GATEWAY_TIMEOUT_MS": "10000",
                               "RUNNER_SERVICE_TOKEN": "runner-token"]
            environment.merge(extra) { $1 }
            let harness = try await ServerHarness.make(environment)
            var usageParts: Usage?
            do {
                _ = try await harness.registry.addInstall(tenantID: "t1", extensionID: harness.demoExtensionID, version: "1.0.0", config: ["region": "eu"], enabled: true)
                let prometheus = PrometheusCollectorRegistry()
                let metrics = PrometheusMetricsFactory(registry: prometheus)
                if let usage {
                    let store = try await SQLRegistry.open(url: harness.configuration.registryURL)
                    usageParts = Usage(recorder: UsageRecorder(store: store, configuration: usage, metrics: metrics), store: store, prometheus: prometheus)
                }
                let lookups: any Registry = usage == nil ? harness.registry : CachedRegistry(harness.registry, ttl: .seconds(600))
                let gateway = try await harness.configuration.makeGateway(registry: lookups, usage: usageParts?.recorder, metrics: metrics)
                let app = try UIServeApplication.build(configuration: harness.configuration, registry: harness.registry, cache: harness.makeCache(),
                                                       logger: Logger(label: "test"), prometheus: prometheus, gateway: gateway)
                let auth: HTTPFields = [.authorization: "Bearer " + (try await token())]
                let parts = usageParts
                // The recorder's service answers quota lookups; the test flushes by itself.
                try await withThrowingTaskGroup(of: Void.self) { group in
                    if let recorder = parts?.recorder { group.addTask { try await recorder.run() } }
                    try await app.test(.live) { client in try await body(client, runner, harness, auth, parts) }
                    group.cancelAll()
                }
            } catch {
                try? await usageParts?.store.shutdown()
                await harness.cleanUp()
                throw error
            }
            try? await usageParts?.store.shutdown()
            await harness.cleanUp()
        }
    }

    /// The execution log's parts a test looks at.
    struct Usage: Sendable {
        let recorder: UsageRecorder
        let store: SQLRegistry
        let prometheus: PrometheusCollectorRegistry

        /// The Prometheus text of one sample, e.g. `uiserve_gateway_execution_log_rows_total{result="dropped"}`.
        func metric(_ sample: String) -> String? {
            var buffer: [UInt8] = []
            prometheus.emit(into: &buffer)
            return String(decoding: buffer, as: UTF8.self).split(separator: "\n").first { $0.hasPrefix(sample + " ") }.map { String($0.dropFirst(sample.count + 1)) }
        }
    }

    @Test func theRunnerReceivesTheExactEnvelope() async throws {
        try await Self.withGateway { client, runner, harness, auth in
            runner.mode.withLock { $0 = .reply(status: 201, headers: ["Content-Type": "application/json", "X-Ext-Count": "2", "Set-Cookie": "a=b",
                                                                     "Cache-Control": "public, max-age=60"], body: #"{"id":"42"}"#) }
            var headers = auth
            headers[HTTPField.Name("x-ext-trace")!] = "abc"
            headers[.cookie] = "session=secret"
            headers[HTTPField.Name("x-request-id")!] = "req-1"
            let response = try await client.execute(uri: "/api/ext/acme.hello/items/42?full=1", method: .get, headers: headers)
            #expect(response.status.code == 201)
            #expect(String(buffer: response.body) == #"{"id":"42"}"#)
            #expect(response.headers[HTTPField.Name("X-Ext-Count")!] == "2")
            #expect(response.headers[.setCookie] == nil)
            #expect(response.headers[.cacheControl] == nil)
            #expect(response.headers[HTTPField.Name("x-request-id")!] == "req-1")
            let received = try #require(runner.received.withLock { $0.first })
            #expect(received.headers["x-alga-tenant"] == "t1")
            #expect(received.headers["x-alga-extension"] == harness.demoExtensionID)
            #expect(received.headers["authorization"] == "Bearer runner-token")
            #expect(received.headers["x-request-id"] == "req-1")
            #expect(received.headers["x-idempotency-key"] == nil)
            let envelope = try #require(received.body)
            let context = try #require(envelope["context"] as? [String: Any])
            #expect(context["tenant_id"] as? String == "t1")
            #expect(context["extension_id"] as? String == harness.demoExtensionID)
            #expect(context["content_hash"] as? String == harness.demoHash.description)
            #expect(context["config"] as? [String: String] == ["region": "eu"])
            #expect(context["request_id"] as? String == "req-1")
            let http = try #require(envelope["http"] as? [String: Any])
            #expect(http["method"] as? String == "GET")
            #expect(http["path"] as? String == "/items/42")
            #expect(http["query"] as? [String: String] == ["full": "1"])
            #expect(http["params"] as? [String: String] == ["id": "42"])
            let forwarded = try #require(http["headers"] as? [String: String])
            #expect(forwarded["x-ext-trace"] == "abc")
            #expect(forwarded["cookie"] == nil && forwarded["authorization"] == nil)
            #expect((envelope["user"] as? [String: Any])?["user_id"] as? String == "user-1")
            #expect((envelope["limits"] as? [String: Any])?["timeout_ms"] as? Int == 10000)
        }
    }

    @Test func refusalsBeforeTheRunner() async throws {
        try await Self.withGateway { client, runner, _, auth in
            #expect(try await client.execute(uri: "/api/ext/acme.hello/items", method: .get).status == .unauthorized)
            var mismatch = auth
            mismatch[HTTPField.Name("x-alga-tenant")!] = "t2"
            #expect(try await client.execute(uri: "/api/ext/acme.hello/items", method: .get, headers: mismatch).status == .forbidden)
            let other: HTTPFields = [.authorization: "Bearer " + (try await Self.token(tenant: "t2"))]
            let notInstalled = try await client.execute(uri: "/api/ext/acme.hello/items", method: .get, headers: other)
            #expect(notInstalled.status == .notFound)
            #expect(String(buffer: notInstalled.body).contains("extension_not_available"))
            let noEndpoint = try await client.execute(uri: "/api/ext/acme.hello/nothing", method: .get, headers: auth)
            #expect(String(buffer: noEndpoint.body).contains("endpoint_not_found"))
            let wrongMethod = try await client.execute(uri: "/api/ext/acme.hello/items/42", method: .delete, headers: auth)
            #expect(wrongMethod.status == .methodNotAllowed)
            #expect(wrongMethod.headers[.allow] == "GET, HEAD")
            #expect(runner.calls == 0)
        }
    }

    @Test func aHangingRunnerIs504WithinTheDeadline() async throws {
        try await Self.withGateway(["EXT_GATEWAY_TIMEOUT_MS": "2000"]) { client, runner, _, auth in
            runner.mode.withLock { $0 = .hang }
            let started = ContinuousClock.now
            let response = try await client.execute(uri: "/api/ext/acme.hello/items", method: .get, headers: auth)
            #expect(response.status == .gatewayTimeout)
            // The Runner would hang for two minutes: ending far sooner proves the 2 s deadline ended
            // it. The margin is wide because the whole suite shares two cores while this runs.
            #expect(ContinuousClock.now - started < .seconds(30))
        }
    }

    @Test func retriesOnlyWhenSafe() async throws {
        try await Self.withGateway { client, runner, _, auth in
            runner.mode.withLock { $0 = .failThenReply(failures: 2) }
            let get = try await client.execute(uri: "/api/ext/acme.hello/items", method: .get, headers: auth)
            #expect(get.status == .ok)
            #expect(runner.calls == 3)
            runner.received.withLock { $0 = [] }
            let post = try await client.execute(uri: "/api/ext/acme.hello/items", method: .post, headers: auth, body: ByteBuffer(string: "{}"))
            #expect(post.status == .badGateway)
            #expect(runner.calls == 1)
            #expect(runner.received.withLock { $0.first?.headers["x-idempotency-key"] } != nil)
        }
    }

    @Test func bodyLimitAndBadRunnerReplies() async throws {
        try await Self.withGateway(["EXT_GATEWAY_MAX_BODY_BYTES": "1024"]) { client, runner, _, auth in
            let big = try await client.execute(uri: "/api/ext/acme.hello/items", method: .post, headers: auth, body: ByteBuffer(repeating: 0x61, count: 2048))
            #expect(big.status == .contentTooLarge)
            #expect(runner.calls == 0)
            runner.mode.withLock { $0 = .raw(#"{"status":200,"body_b64":"***"}"#) }
            #expect(try await client.execute(uri: "/api/ext/acme.hello/items", method: .get, headers: auth).status == .badGateway)
            runner.mode.withLock { $0 = .raw(#"{"status":700}"#) }
            #expect(try await client.execute(uri: "/api/ext/acme.hello/items", method: .get, headers: auth).status == .badGateway)
            runner.mode.withLock { $0 = .raw("not json") }
            #expect(try await client.execute(uri: "/api/ext/acme.hello/items", method: .get, headers: auth).status == .badGateway)
        }
    }

    @Test func rateLimitAndCORS() async throws {
        try await Self.withGateway(["EXT_GATEWAY_RATE_LIMIT": "1/m burst 2", "EXT_GATEWAY_ALLOWED_ORIGINS": "https://host.example"]) { client, _, _, auth in
            var headers = auth
            headers[.origin] = "https://host.example"
            let first = try await client.execute(uri: "/api/ext/acme.hello/items", method: .get, headers: headers)
            #expect(first.headers[.accessControlAllowOrigin] == "https://host.example")
            _ = try await client.execute(uri: "/api/ext/acme.hello/items", method: .get, headers: auth)
            let limited = try await client.execute(uri: "/api/ext/acme.hello/items", method: .get, headers: auth)
            #expect(limited.status == .tooManyRequests)
            #expect(limited.headers[.retryAfter] != nil)
            let preflight = try await client.execute(uri: "/api/ext/acme.hello/items", method: .options,
                                                     headers: [.origin: "https://host.example", .accessControlRequestHeaders: "authorization, content-type, x-evil"])
            #expect(preflight.status == .noContent)
            #expect(preflight.headers[.accessControlAllowOrigin] == "https://host.example")
            #expect(preflight.headers[.accessControlAllowHeaders] == "authorization, content-type")
            let foreign = try await client.execute(uri: "/api/ext/acme.hello/items", method: .options, headers: [.origin: "https://evil.example"])
            #expect(foreign.status == .forbidden)
            #expect(foreign.headers[.accessControlAllowOrigin] == nil)
        }
    }

    @Test func outcomesAreCountedInMetrics() async throws {
        try await Self.withGateway { client, _, _, auth in
            _ = try await client.execute(uri: "/api/ext/acme.hello/items", method: .get)
            _ = try await client.execute(uri: "/api/ext/acme.hello/items", method: .get, headers: auth)
            let text = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(text.contains(#"uiserve_gateway_requests_total{outcome="unauthorized"} 1"#))
            #expect(text.contains(#"uiserve_gateway_requests_total{outcome="ok"} 1"#))
            #expect(text.contains("uiserve_gateway_runner_duration_seconds"))
            #expect(text.contains(#"uiserve_http_requests_total{route="/api/ext/{extensionId}/{path}",status="401"} 1"#))
        }
    }

    @Test func runnerRefusedAndOversizeRepliesAre502() async throws {
        try await Self.withGateway(["RUNNER_BASE_URL": "http://127.0.0.1:9"]) { client, _, _, auth in
            let refused = try await client.execute(uri: "/api/ext/acme.hello/items", method: .get, headers: auth)
            #expect(refused.status == .badGateway)
            #expect(String(buffer: refused.body).contains("runner_unavailable"))
        }
        try await Self.withGateway(["EXT_GATEWAY_MAX_RESPONSE_BYTES": "1000"]) { client, runner, _, auth in
            runner.mode.withLock { $0 = .reply(status: 200, headers: [:], body: String(repeating: "x", count: 5000)) }
            let oversize = try await client.execute(uri: "/api/ext/acme.hello/items", method: .get, headers: auth)
            #expect(oversize.status == .badGateway)
            #expect(String(buffer: oversize.body).contains("runner_response_too_large"))
        }
    }

    @Test func aBodyWithoutContentLengthIsCountedToo() async throws {
        try await Self.withGateway(["EXT_GATEWAY_MAX_BODY_BYTES": "1024"]) { client, runner, _, auth in
            let port = try #require(client.port)
            // Chunked: no Content-Length at all, so only counting the bytes can enforce the limit.
            let result = try await Shell.runAsync("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST",
                                                        "-H", "Authorization: \(auth[.authorization]!)", "-H", "Transfer-Encoding: chunked",
                                                        "--data-binary", String(repeating: "a", count: 4096), "http://127.0.0.1:\(port)/api/ext/acme.hello/items"])
            #expect(result.output == "413")
            #expect(runner.calls == 0)
        }
    }

    @Test(.enabled(if: TestServices.postgresURL != nil, "needs PostgreSQL: run scripts/test"))
    func theGatewayOnPostgreSQL() async throws {
        try await Self.withGateway(["REGISTRY_URL": try TestServices.makePostgresDatabase()]) { client, runner, harness, auth in
            #expect(harness.configuration.registryURL.hasPrefix("postgres://"))
            let response = try await client.execute(uri: "/api/ext/acme.hello/items/7", method: .get, headers: auth)
            #expect(response.status == .ok)
            let envelope = try #require(runner.received.withLock { $0.first?.body })
            #expect((envelope["http"] as? [String: Any])?["params"] as? [String: String] == ["id": "7"])
            #expect((envelope["context"] as? [String: Any])?["config"] as? [String: String] == ["region": "eu"])
            let other: HTTPFields = [.authorization: "Bearer " + (try await Self.token(tenant: "t2"))]
            #expect(try await client.execute(uri: "/api/ext/acme.hello/items", method: .get, headers: other).status == .notFound)
        }
    }
}
