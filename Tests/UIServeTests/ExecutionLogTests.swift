import BundleIndex
import Foundation
import Gateway
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import TestSupport
import Testing

@testable import UIServe

/// The execution log and the daily quota through the real server, fake Runner and SQLite registry.
@Suite struct ExecutionLogTests {
    /// The deadline is 3 s: the calls that must succeed get it too, and a CI run loaded by the
    /// other suites once took more than 1 s for one of them.
    @Test func oneRowPerCallWithItsOutcome() async throws {
        try await GatewayRouteTests.withGateway(["EXT_GATEWAY_TIMEOUT_MS": "3000"], usage: UsageRecorder.Configuration(flushInterval: .seconds(3600))) { client, runner, harness, auth, usage in
            let usage = try #require(usage)
            runner.mode.withLock { $0 = .reply(status: 200, headers: ["Content-Type": "text/plain"], body: "hello") }
            #expect(try await client.execute(uri: "/api/ext/acme.hello/items", method: .get, headers: auth).status == .ok)
            #expect(try await client.execute(uri: "/api/ext/acme.hello/items", method: .post, headers: auth, body: ByteBuffer(string: "12345")).status == .ok)
            #expect(try await client.execute(uri: "/api/ext/acme.hello/nothing", method: .get, headers: auth).status == .notFound)
            runner.mode.withLock { $0 = .raw("not json") }
            #expect(try await client.execute(uri: "/api/ext/acme.hello/items", method: .post, headers: auth).status == .badGateway)
            runner.mode.withLock { $0 = .hang }
            #expect(try await client.execute(uri: "/api/ext/acme.hello/items", method: .post, headers: auth).status == .gatewayTimeout)
            // Refused before an install was found: metrics only, no row.
            #expect(try await client.execute(uri: "/api/ext/acme.hello/items", method: .get).status == .unauthorized)

            #expect(await usage.recorder.flush() == 5)
            let rows = try await usage.store.executionLog(tenantID: "t1")
            #expect(rows.map(\.status) == [.ok, .ok, .policyDenied, .upstreamError, .timeout])
            #expect(rows.map(\.httpStatus) == [200, 200, 404, 502, 504])
            #expect(rows.allSatisfy { $0.extensionID == harness.demoExtensionID && $0.versionID != nil && !$0.requestID.isEmpty })
            #expect(rows[4].durationMilliseconds >= 2900)
            let window = QuotaUsage.window(containing: Date())
            let counted = try await usage.store.quotaUsage(tenantID: "t1", windowStart: window)
            #expect(counted.count == 1)
            // Calls admitted past the endpoint and rate checks count; the 404 did not.
            #expect(counted.first?.calls == 4)
            #expect(counted.first?.requestBytes == 5)
            #expect(counted.first?.responseBytes == 10)
            #expect(usage.metric(#"uiserve_gateway_execution_log_rows_total{result="written"}"#) == "5")
        }
    }

    @Test func aStoppedDatabaseNeverFailsACallAndDropsAreCounted() async throws {
        try await GatewayRouteTests.withGateway(usage: UsageRecorder.Configuration(capacity: 3, flushInterval: .seconds(3600))) { client, runner, _, auth, usage in
            let usage = try #require(usage)
            runner.mode.withLock { $0 = .reply(status: 200, headers: [:], body: "ok") }
            // Warm the registry cache, then stop the usage database.
            #expect(try await client.execute(uri: "/api/ext/acme.hello/items", method: .get, headers: auth).status == .ok)
            #expect(await usage.recorder.flush() == 1)
            try await usage.store.shutdown()
            for _ in 0..<5 {
                #expect(try await client.execute(uri: "/api/ext/acme.hello/items", method: .get, headers: auth).status == .ok)
            }
            #expect(await usage.recorder.flush() == 0)
            #expect(usage.metric(#"uiserve_gateway_execution_log_rows_total{result="dropped"}"#) == "2")
            #expect(usage.metric("uiserve_gateway_usage_write_failures_total") == "1")
        }
    }

    @Test func theCallAfterTheDailyQuotaIs429() async throws {
        try await GatewayRouteTests.withGateway(usage: UsageRecorder.Configuration(dailyQuota: 3, flushInterval: .seconds(3600))) { client, runner, harness, auth, usage in
            let usage = try #require(usage)
            runner.mode.withLock { $0 = .reply(status: 200, headers: [:], body: "ok") }
            // One call already counted today (through another replica, say).
            try await usage.store.appendUsage(entries: [], usage: [QuotaUsage(tenantID: "t1", extensionID: harness.demoExtensionID,
                                                                              windowStart: QuotaUsage.window(containing: Date()), calls: 1)])
            for _ in 0..<2 {
                #expect(try await client.execute(uri: "/api/ext/acme.hello/items", method: .get, headers: auth).status == .ok)
            }
            let refused = try await client.execute(uri: "/api/ext/acme.hello/items", method: .get, headers: auth)
            #expect(refused.status == .tooManyRequests)
            #expect(String(buffer: refused.body).contains("quota_exceeded"))
            let retryAfter = try #require(refused.headers[.retryAfter].flatMap { Int($0) })
            #expect((1...86_400).contains(retryAfter))
            #expect(runner.calls == 2)
            // Written and re-read, the count holds.
            await usage.recorder.flush()
            #expect(try await usage.store.windowCalls(tenantID: "t1", windowStart: QuotaUsage.window(containing: Date())) == 3)
            #expect(try await client.execute(uri: "/api/ext/acme.hello/items", method: .get, headers: auth).status == .tooManyRequests)
        }
    }
}
