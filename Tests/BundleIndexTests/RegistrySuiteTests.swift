import BundleIndex
import Foundation
import TestSupport
import Testing

/// One registry suite, the same assertions against real SQLite and real PostgreSQL (started by
/// scripts/test), through the one query implementation.
@Suite(.serialized) struct RegistrySuiteTests {
    enum Backend: String, CaseIterable, Sendable { case sqlite, postgres }

    static func open(_ backend: Backend, in dir: String) async throws -> SQLRegistry {
        switch backend {
        case .sqlite: return try await SQLRegistry.open(url: "sqlite://\(dir)/registry.sqlite")
        case .postgres: return try await SQLRegistry.open(url: try TestServices.makePostgresDatabase())
        }
    }

    static func withRegistry(_ backend: Backend, _ body: (SQLRegistry) async throws -> Void) async throws {
        if backend == .postgres && TestServices.postgresURL == nil {
            // A bare `swift test`: scripts/test always provides PostgreSQL, where this cannot be skipped.
            return
        }
        try await Fixtures.withTemporaryDirectory { dir in
            let registry = try await open(backend, in: dir)
            do {
                try await body(registry)
                try await registry.shutdown()
            } catch {
                try? await registry.shutdown()
                throw error
            }
        }
    }

    static var demoManifest: ExtensionManifest { get throws { try ExtensionManifest.parse(Fixtures.data("demo/src/manifest.json")) } }
    static var demoHash: ContentHash { get throws { try FileDigest.contentHash(ofFileAt: Fixtures.demoBundle) } }

    @Test(arguments: Backend.allCases)
    func migrationsAreIdempotent(_ backend: Backend) async throws {
        try await Self.withRegistry(backend) { registry in
            #expect(try await registry.migrate() == RegistryMigrations.all.map(\.version))
            #expect(try await registry.migrate() == [])
            try await registry.probe()
        }
    }

    @Test(arguments: Backend.allCases)
    func publishAndLookUp(_ backend: Backend) async throws {
        try await Self.withRegistry(backend) { registry in
            try await registry.migrate()
            let first = try await registry.publish(manifest: Self.demoManifest, hash: Self.demoHash, signature: "{}", storageKey: "k", size: 9047)
            let again = try await registry.publish(manifest: Self.demoManifest, hash: Self.demoHash, signature: "{}", storageKey: "k", size: 9047)
            #expect(first == again)
            let byID = try #require(try await registry.extensionRecord(matching: first.extensionId))
            #expect(byID.qualifiedName == "acme.hello")
            #expect(try await registry.extensionRecord(matching: "ACME.Hello") == byID)
            #expect(try await registry.extensionRecord(matching: "acme.other") == nil)
            #expect(try await registry.extensionRecord(matching: "nodot") == nil)
            let bundle = try #require(try await registry.bundleRecord(extensionID: byID.id, hash: Self.demoHash))
            #expect(bundle.version == "1.0.0")
            #expect(bundle.versionID == first.versionId)
            #expect(bundle.signature == "{}")
            #expect(bundle.storageKey == "k")
            #expect(bundle.sizeBytes == 9047)
            #expect(bundle.identity == BundleIdentity(publisher: "acme", name: "hello", version: "1.0.0"))
            let otherHash = try ContentHash.parse(String(repeating: "ab", count: 32))
            #expect(try await registry.bundleRecord(extensionID: byID.id, hash: otherHash) == nil)
            #expect(try await registry.bundleRecord(extensionID: "someone-else", hash: Self.demoHash) == nil)
        }
    }

    @Test(arguments: Backend.allCases)
    func activeBundleIsTheNewestRow(_ backend: Backend) async throws {
        try await Self.withRegistry(backend) { registry in
            try await registry.migrate()
            let first = try await registry.publish(manifest: Self.demoManifest, hash: Self.demoHash, signature: nil, storageKey: nil, size: 1)
            let newer = try ContentHash.parse(String(repeating: "cd", count: 32))
            try await Task.sleep(for: .milliseconds(5))
            let second = try await registry.publish(manifest: Self.demoManifest, hash: newer, signature: nil, storageKey: nil, size: 2)
            #expect(first.versionId == second.versionId)
            #expect(try await registry.activeBundle(versionID: first.versionId)?.contentHash == newer)
            // The older bundle stays a published bundle of the extension.
            #expect(try await registry.bundleRecord(extensionID: first.extensionId, hash: Self.demoHash) != nil)
            #expect(try await registry.activeBundle(versionID: "none") == nil)
        }
    }

    @Test(arguments: Backend.allCases)
    func installs(_ backend: Backend) async throws {
        try await Self.withRegistry(backend) { registry in
            try await registry.migrate()
            let published = try await registry.publish(manifest: Self.demoManifest, hash: Self.demoHash, signature: nil, storageKey: nil, size: 1)
            let install = try await registry.addInstall(tenantID: "tenant-1", extensionID: published.extensionId, version: "1.0.0",
                                                        config: ["region": "eu"], enabled: true)
            let enabled = try #require(try await registry.enabledInstall(tenantID: "tenant-1", extensionID: published.extensionId))
            #expect(enabled == install)
            #expect(enabled.config == ["region": "eu"])
            #expect(enabled.versionID == published.versionId)
            // An install id resolves to its extension too.
            #expect(try await registry.extensionRecord(matching: install.id)?.id == published.extensionId)
            #expect(try await registry.enabledInstall(tenantID: "tenant-2", extensionID: published.extensionId) == nil)
            _ = try await registry.addInstall(tenantID: "tenant-1", extensionID: published.extensionId, version: "1.0.0", config: [:], enabled: false)
            #expect(try await registry.enabledInstall(tenantID: "tenant-1", extensionID: published.extensionId) == nil)
            #expect(try await registry.anyInstall(tenantID: "tenant-1", extensionID: published.extensionId)?.status == "disabled")
            await #expect(throws: BundleIndexError.self) {
                try await registry.addInstall(tenantID: "tenant-1", extensionID: published.extensionId, version: "9.9.9", config: [:], enabled: true)
            }
            #expect(try await registry.removeInstall(tenantID: "tenant-1", extensionID: published.extensionId))
            #expect(try await registry.removeInstall(tenantID: "tenant-1", extensionID: published.extensionId) == false)
        }
    }

    @Test(arguments: Backend.allCases)
    func enableDisableAndList(_ backend: Backend) async throws {
        try await Self.withRegistry(backend) { registry in
            try await registry.migrate()
            let published = try await registry.publish(manifest: Self.demoManifest, hash: Self.demoHash, signature: nil, storageKey: nil, size: 1)
            _ = try await registry.addInstall(tenantID: "b", extensionID: published.extensionId, version: "1.0.0", config: [:], enabled: true)
            _ = try await registry.addInstall(tenantID: "a", extensionID: published.extensionId, version: "1.0.0", config: [:], enabled: true)
            #expect(try await registry.setInstallEnabled(tenantID: "a", extensionID: published.extensionId, enabled: false))
            #expect(try await registry.enabledInstall(tenantID: "a", extensionID: published.extensionId) == nil)
            #expect(try await registry.setInstallEnabled(tenantID: "a", extensionID: published.extensionId, enabled: true))
            #expect(try await registry.enabledInstall(tenantID: "a", extensionID: published.extensionId) != nil)
            #expect(try await registry.setInstallEnabled(tenantID: "nobody", extensionID: published.extensionId, enabled: true) == false)
            #expect(try await registry.installs().map(\.tenantID) == ["a", "b"])
            #expect(try await registry.installs(tenantID: "b").count == 1)
        }
    }

    @Test(arguments: Backend.allCases)
    func enabledNeedsBothTheFlagAndTheStatus(_ backend: Backend) async throws {
        try await Self.withRegistry(backend) { registry in
            try await registry.migrate()
            let published = try await registry.publish(manifest: Self.demoManifest, hash: Self.demoHash, signature: nil, storageKey: nil, size: 1)
            _ = try await registry.addInstall(tenantID: "t", extensionID: published.extensionId, version: "1.0.0", config: [:], enabled: true)
            try await registry.database.raw("UPDATE tenant_extension_install SET status = 'pending'").run()
            #expect(try await registry.enabledInstall(tenantID: "t", extensionID: published.extensionId) == nil)
        }
    }

    @Test(arguments: Backend.allCases)
    func dryRunListsPendingMigrationsWithoutApplyingThem(_ backend: Backend) async throws {
        try await Self.withRegistry(backend) { registry in
            #expect(try await registry.pendingMigrations().map(\.version) == RegistryMigrations.all.map(\.version))
            #expect(try await registry.pendingMigrations().count == RegistryMigrations.all.count)
            try await registry.migrate()
            #expect(try await registry.pendingMigrations().isEmpty)
        }
    }

    @Test(arguments: Backend.allCases)
    func listShowAndEvents(_ backend: Backend) async throws {
        try await Self.withRegistry(backend) { registry in
            try await registry.migrate()
            let signature = #"{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[{"keyid":"abc123","sig":"AA=="}]}"#
            let published = try await registry.publish(manifest: Self.demoManifest, hash: Self.demoHash, signature: signature, storageKey: nil, size: 9047, actor: "alice")
            var other = try Self.demoManifest
            other.publisher = "zeta"
            _ = try await registry.publish(manifest: other, hash: Self.demoHash, signature: nil, storageKey: nil, size: 1)
            #expect(try await registry.listExtensions().map { "\($0.publisher).\($0.name)" } == ["acme.hello", "zeta.hello"])
            #expect(try await registry.listExtensions(publisher: "ACME").map(\.id) == [published.extensionId])
            let record = try #require(try await registry.extensionRecord(matching: "acme.hello"))
            let detail = try #require(try await registry.extensionDetail(record))
            #expect(detail.versions.map(\.version) == ["1.0.0"])
            let bundle = try #require(detail.versions.first?.bundles.first)
            #expect(try bundle.contentHash == Self.demoHash.description)
            #expect(bundle.signatureKeyIDs == ["abc123"])
            #expect(bundle.sizeBytes == 9047)
            #expect(bundle.active)
            #expect(detail.versions.first?.capabilities == ["http.fetch", "storage.kv"])
            #expect(detail.events.map(\.type) == ["published"])
            #expect(detail.events.first?.actor == "alice")
            #expect(try detail.events.first?.detail["content_hash"] == Self.demoHash.description)
        }
    }

    @Test(arguments: Backend.allCases)
    func yankRefusesInstallsAndStopsServing(_ backend: Backend) async throws {
        try await Self.withRegistry(backend) { registry in
            try await registry.migrate()
            let published = try await registry.publish(manifest: Self.demoManifest, hash: Self.demoHash, signature: nil, storageKey: nil, size: 1)
            _ = try await registry.addInstall(tenantID: "t", extensionID: published.extensionId, version: "1.0.0", config: [:], enabled: true)
            #expect(try await registry.yank(extensionID: published.extensionId, version: "1.0.0", actor: "ops", reason: "CVE"))
            #expect(try await registry.yank(extensionID: published.extensionId, version: "1.0.0", actor: "ops") == false)
            #expect(try await registry.bundleRecord(extensionID: published.extensionId, hash: Self.demoHash) == nil)
            #expect(try await registry.activeBundle(versionID: published.versionId) == nil)
            let refusal = await #expect(throws: BundleIndexError.self) {
                try await registry.addInstall(tenantID: "u", extensionID: published.extensionId, version: "1.0.0", config: [:], enabled: true)
            }
            #expect(refusal?.code == .refused)
            await #expect(throws: BundleIndexError.self) { try await registry.yank(extensionID: published.extensionId, version: "2.0.0", actor: "ops") }
            let events = try await registry.events(extensionID: published.extensionId)
            #expect(events.first?.type == "yanked")
            #expect(events.first?.detail == ["version": "1.0.0", "reason": "CVE"])
            let detail = try #require(try await registry.extensionDetail(ExtensionRecord(id: published.extensionId, publisher: "acme", name: "hello")))
            #expect(detail.versions.first?.yankedAt != nil)
        }
    }

    @Test(arguments: Backend.allCases)
    func configAndCapabilities(_ backend: Backend) async throws {
        try await Self.withRegistry(backend) { registry in
            try await registry.migrate()
            let published = try await registry.publish(manifest: Self.demoManifest, hash: Self.demoHash, signature: nil, storageKey: nil, size: 1)
            let id = published.extensionId
            _ = try await registry.addInstall(tenantID: "t", extensionID: id, version: "1.0.0", config: ["a": "1"], enabled: true)
            #expect(try await registry.setInstallConfig(tenantID: "t", extensionID: id, key: "b", value: "2", actor: "ops")?.config == ["a": "1", "b": "2"])
            #expect(try await registry.setInstallConfig(tenantID: "t", extensionID: id, key: "a", value: nil, actor: "ops")?.config == ["b": "2"])
            #expect(try await registry.setInstallConfig(tenantID: "nobody", extensionID: id, key: "a", value: "1") == nil)
            #expect(try await registry.setCapability(tenantID: "t", extensionID: id, capability: "storage.kv", granted: true)?.grantedCapabilities == ["storage.kv"])
            #expect(try await registry.setCapability(tenantID: "t", extensionID: id, capability: "http.fetch", granted: true)?.grantedCapabilities == ["http.fetch", "storage.kv"])
            #expect(try await registry.setCapability(tenantID: "t", extensionID: id, capability: "storage.kv", granted: true)?.grantedCapabilities == ["http.fetch", "storage.kv"])
            #expect(try await registry.setCapability(tenantID: "t", extensionID: id, capability: "http.fetch", granted: false)?.grantedCapabilities == ["storage.kv"])
            let refusal = await #expect(throws: BundleIndexError.self) {
                try await registry.setCapability(tenantID: "t", extensionID: id, capability: "secrets.read", granted: true)
            }
            #expect(refusal?.code == .refused)
            #expect(refusal?.message.contains("secrets.read") == true)
            // What the gateway reads sees the change.
            #expect(try await registry.enabledInstall(tenantID: "t", extensionID: id)?.grantedCapabilities == ["storage.kv"])
            #expect(try await registry.enabledInstall(tenantID: "t", extensionID: id)?.config == ["b": "2"])
            _ = try await registry.setInstallEnabled(tenantID: "t", extensionID: id, enabled: false)
            _ = try await registry.removeInstall(tenantID: "t", extensionID: id)
            let types = try await registry.events(extensionID: id).map(\.type).reversed()
            #expect(Array(types) == ["published", "installed", "config_changed", "config_changed", "capability_granted", "capability_granted",
                                     "capability_revoked", "disabled", "uninstalled"])
            // A config event names the key, never the value.
            #expect(try await registry.events(extensionID: id).contains { $0.detail == ["key": "b", "change": "set"] })
        }
    }

    @Test(arguments: Backend.allCases)
    func usageRowsAndWindowCounters(_ backend: Backend) async throws {
        try await Self.withRegistry(backend) { registry in
            try await registry.migrate()
            let day = QuotaUsage.window(containing: Date(timeIntervalSince1970: 1_790_000_000))
            #expect(day == Date(timeIntervalSince1970: 1_789_948_800))
            let entry = ExecutionLogEntry(tenantID: "t", extensionID: "e1", versionID: "v", requestID: "r1", startedAt: day.addingTimeInterval(60),
                                          finishedAt: day.addingTimeInterval(61), status: .timeout, httpStatus: 504, durationMilliseconds: 1000)
            try await registry.appendUsage(entries: [entry], usage: [QuotaUsage(tenantID: "t", extensionID: "e1", windowStart: day, calls: 2, requestBytes: 10)])
            try await registry.appendUsage(entries: [], usage: [QuotaUsage(tenantID: "t", extensionID: "e1", windowStart: day, calls: 3, responseBytes: 7),
                                                                QuotaUsage(tenantID: "t", extensionID: "e2", windowStart: day, calls: 1)])
            try await registry.appendUsage(entries: [], usage: [QuotaUsage(tenantID: "t", extensionID: "e1", windowStart: day.addingTimeInterval(86_400), calls: 9)])
            #expect(try await registry.windowCalls(tenantID: "t", windowStart: day) == 6)
            #expect(try await registry.windowCalls(tenantID: "other", windowStart: day) == 0)
            #expect(try await registry.quotaUsage(tenantID: "t", windowStart: day) == [
                QuotaUsage(tenantID: "t", extensionID: "e1", windowStart: day, calls: 5, requestBytes: 10, responseBytes: 7),
                QuotaUsage(tenantID: "t", extensionID: "e2", windowStart: day, calls: 1),
            ])
            let rows = try await registry.executionLog(tenantID: "t")
            #expect(rows.count == 1)
            #expect(rows.first?.status == .timeout && rows.first?.httpStatus == 504 && rows.first?.requestID == "r1")
            // All or nothing: a batch with a duplicate row id writes none of its counters.
            await #expect(throws: BundleIndexError.self) {
                try await registry.appendUsage(entries: [entry], usage: [QuotaUsage(tenantID: "t", extensionID: "e1", windowStart: day, calls: 100)])
            }
            #expect(try await registry.windowCalls(tenantID: "t", windowStart: day) == 6)
            // Past one statement's rows (`rowsPerStatement`), and one counter twice in a batch
            // (merged: PostgreSQL refuses an upsert that touches a row twice).
            let many = (0..<450).map { index in
                ExecutionLogEntry(tenantID: "m", extensionID: "e1", versionID: "v", requestID: "m\(index)", startedAt: day.addingTimeInterval(Double(index)),
                                  finishedAt: day.addingTimeInterval(Double(index) + 1), status: .ok, httpStatus: 200, durationMilliseconds: index)
            }
            let counters = (0..<450).map { QuotaUsage(tenantID: "m", extensionID: "e\($0 % 3)", windowStart: day, calls: 1, requestBytes: 2) }
            try await registry.appendUsage(entries: many, usage: counters)
            let written = try await registry.executionLog(tenantID: "m")
            #expect(Set(written.map(\.requestID)) == Set(many.map(\.requestID)))
            #expect(written.first { $0.requestID == "m449" }?.durationMilliseconds == 449)
            #expect(try await registry.windowCalls(tenantID: "m", windowStart: day) == 450)
            #expect(try await registry.quotaUsage(tenantID: "m", windowStart: day).map(\.requestBytes) == [300, 300, 300])
        }
    }

    @Test func cachedRegistryRemembersAndExpires() async throws {
        try await Self.withRegistry(.sqlite) { registry in
            try await registry.migrate()
            let clock = ManualClock()
            let cached = CachedRegistry(registry, ttl: .seconds(30), negativeTTL: .seconds(5), now: { clock.now })
            #expect(try await cached.extensionRecord(matching: "acme.hello") == nil)
            let published = try await registry.publish(manifest: Self.demoManifest, hash: Self.demoHash, signature: nil, storageKey: nil, size: 1)
            // The negative answer is remembered for its TTL, then the database is asked again.
            #expect(try await cached.extensionRecord(matching: "acme.hello") == nil)
            clock.advance(.seconds(6))
            #expect(try await cached.extensionRecord(matching: "acme.hello")?.id == published.extensionId)
            // A positive answer survives the database going away.
            try await registry.database.raw("DROP TABLE tenant_extension_install").run()
            try await registry.database.raw("DROP TABLE extension_bundle").run()
            #expect(try await cached.extensionRecord(matching: "acme.hello")?.id == published.extensionId)
            clock.advance(.seconds(31))
            await #expect(throws: BundleIndexError.self) { try await cached.extensionRecord(matching: "acme.hello") }
        }
    }
}

/// A clock tests move by hand.
final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var offset: Duration = .zero
    private let start = ContinuousClock.now

    var now: ContinuousClock.Instant {
        lock.lock()
        defer { lock.unlock() }
        return start + offset
    }

    func advance(_ by: Duration) {
        lock.lock()
        offset += by
        lock.unlock()
    }
}
