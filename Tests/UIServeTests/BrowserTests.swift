import BundleIndex
import Foundation
import HummingbirdTesting
import Logging
import TestSupport
import Testing

@testable import UIServe

/// Headless Chromium against the real server: the demo host page embeds the demo extension in
/// `<iframe sandbox="allow-scripts">`, and scripts/testing/browser_check.py checks that the module
/// script, stylesheet, web font, image and fetched JSON load, that the extension posts "ready"
/// within 10 s, that the console shows no CSP, CORS, MIME or Permissions-Policy error, and that a
/// reload takes every immutable asset from the cache. scripts/test installs Chromium.
@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/chromedriver"), "needs Chromium: run scripts/test"))
struct BrowserTests {
    @Test func demoExtensionInASandboxedIframe() async throws {
        let hash = try FileDigest.contentHash(ofFileAt: Fixtures.demoBundle)
        let harness = try await ServerHarness.make(["UISERVE_DEMO_CONTENT_HASH": hash.description])
        do {
            let app = try UIServeApplication.build(configuration: harness.configuration, registry: harness.registry, cache: harness.makeCache(), logger: Logger(label: "test"))
            try await app.test(.live) { client in
                let port = try #require(client.port)
                let result = try await Shell.runAsync("/usr/bin/python3", [Fixtures.repositoryRoot + "/scripts/testing/browser_check.py", "http://127.0.0.1:\(port)"])
                #expect(result.status == 0, "\(result.output)\n\(result.error)")
                #expect(result.output.contains("\"passed\": true"))
            }
        } catch {
            await harness.cleanUp()
            throw error
        }
        await harness.cleanUp()
    }
}
