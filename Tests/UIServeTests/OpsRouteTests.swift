import BundleIndex
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import TestSupport
import Testing

@testable import UIServe

/// /healthz, /readyz, /metrics and /internal/prefetch through the real server.
@Suite struct OpsRouteTests {
    static let token = "test-admin-token-0123456789"

    @Test func readinessReportsEachDependency() async throws {
        try await ExtUIRouteTests.withServer { client, harness in
            let ready = try await client.execute(uri: "/readyz", method: .get)
            #expect(ready.status == .ok)
            let body = String(buffer: ready.body)
            #expect(body.contains(#""status":"ready""#))
            #expect(body.contains(#""registry":"ok""#) && body.contains(#""store":"ok""#) && body.contains(#""cache":"ok""#))
            try FileManager.default.removeItem(atPath: harness.store.root)
            let notReady = try await client.execute(uri: "/readyz", method: .get)
            #expect(notReady.status == .serviceUnavailable)
            #expect(String(buffer: notReady.body).contains(#""store":"unavailable"#))
            let alive = try await client.execute(uri: "/healthz", method: .get)
            #expect(alive.status == .ok)
        }
    }

    @Test func metricsCountRequestsByRouteTemplateAndStatus() async throws {
        try await ExtUIRouteTests.withServer { client, harness in
            _ = try await client.execute(uri: ExtUIRouteTests.base(harness) + "/app.js", method: .get)
            _ = try await client.execute(uri: ExtUIRouteTests.base(harness) + "/missing.js", method: .get)
            let metrics = try await client.execute(uri: "/metrics", method: .get)
            #expect(metrics.status == .ok)
            let text = String(buffer: metrics.body)
            #expect(text.contains(#"uiserve_http_requests_total{route="/ext-ui/{extensionId}/{contentHash}/{path}",status="200"} 1"#))
            #expect(text.contains(#"uiserve_http_requests_total{route="/ext-ui/{extensionId}/{contentHash}/{path}",status="404"} 1"#))
            #expect(text.contains("uiserve_http_response_bytes_total"))
            #expect(!text.contains("missing.js"), "raw paths never become labels")
        }
    }

    @Test func prefetchNeedsTheAdminTokenAndWarmsTheCache() async throws {
        try await ExtUIRouteTests.withServer(["UISERVE_ADMIN_TOKEN": Self.token]) { client, harness in
            let body = ByteBuffer(string: #"{"extensionId":"acme.hello","contentHash":"\#(harness.demoHash)"}"#)
            let anonymous = try await client.execute(uri: "/internal/prefetch", method: .post, body: body)
            #expect(anonymous.status == .unauthorized)
            let wrong = try await client.execute(uri: "/internal/prefetch", method: .post, headers: [.authorization: "Bearer wrong-token-0123456789xx"], body: body)
            #expect(wrong.status == .unauthorized)
            let bad = try await client.execute(uri: "/internal/prefetch", method: .post, headers: [.authorization: "Bearer \(Self.token)"], body: ByteBuffer(string: "{}"))
            #expect(bad.status == .badRequest)
            let warmed = try await client.execute(uri: "/internal/prefetch", method: .post, headers: [.authorization: "Bearer \(Self.token)"], body: body)
            #expect(warmed.status == .ok)
            #expect(String(buffer: warmed.body).contains(#""status":"cached""#))
            #expect(FileManager.default.fileExists(atPath: harness.configuration.cacheRoot + "/" + harness.demoHash.hex + "/index.json"))
        }
    }

    @Test func prefetchIsClosedWithoutAToken() async throws {
        try await ExtUIRouteTests.withServer { client, harness in
            let body = ByteBuffer(string: #"{"extensionId":"acme.hello","contentHash":"\#(harness.demoHash)"}"#)
            let response = try await client.execute(uri: "/internal/prefetch", method: .post, headers: [.authorization: "Bearer anything-at-all-here"], body: body)
            #expect(response.status == .unauthorized)
        }
    }
}
