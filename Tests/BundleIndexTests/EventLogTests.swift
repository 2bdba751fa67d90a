import BundleIndex
import Foundation
import TestSupport
import Testing

/// The serving path's registry events, written to a real SQLite registry: a refused bundle and a
/// revoked one each become one `extension_event` row of their extension.
@Suite struct EventLogTests {
    static func withCache(archive: String, _ body: (BundleCache, EventLog, SQLRegistry, BundleRecord) async throws -> Void) async throws {
        try await Fixtures.withTemporaryDirectory { dir in
            let registry = try await SQLRegistry.open(url: "sqlite://\(dir)/registry.sqlite")
            do {
                try await registry.migrate()
                let hash = try FileDigest.contentHash(ofFileAt: Fixtures.demoBundle)
                let published = try await registry.publish(manifest: try ExtensionManifest.parse(Fixtures.data("demo/src/manifest.json")), hash: hash,
                                                           signature: String(decoding: try Fixtures.data("demo/bundle.sig"), as: UTF8.self), storageKey: nil, size: 0)
                let store = FolderBundleStore(root: dir + "/store")
                try FileManager.default.createDirectory(atPath: store.root, withIntermediateDirectories: true)
                try await store.put(key: try BundleKeyTemplate().archiveKey(hash: hash), from: archive)
                let events = EventLog(registry: registry)
                let cache = try BundleCache(configuration: .init(root: dir + "/cache", keyTemplate: BundleKeyTemplate(), signaturePolicy: .required,
                                                                 failureTTL: .zero),
                                            store: store, trust: TrustBundle.load(path: Fixtures.path("trust/demo.pem")), events: events)
                let record = try #require(try await registry.bundleRecord(extensionID: published.extensionId, hash: hash))
                try await body(cache, events, registry, record)
                try await registry.shutdown()
            } catch {
                try? await registry.shutdown()
                throw error
            }
        }
    }

    @Test func aRefusedBundleIsOneEvent() async throws {
        try await Fixtures.withTemporaryDirectory { dir in
            var bytes = Array(try Fixtures.data("demo/bundle.tar.zst"))
            bytes[bytes.count / 3] ^= 0x01
            try Data(bytes).write(to: URL(fileURLWithPath: dir + "/tampered.tar.zst"))
            try await Self.withCache(archive: dir + "/tampered.tar.zst") { cache, events, registry, record in
                for _ in 0..<3 {
                    await #expect(throws: BundleIndexError.self) { try await cache.bundle(for: record) }
                }
                #expect(await events.flush() == 1)
                let written = try await registry.events(extensionID: record.extensionRecord.id)
                #expect(written.first?.type == "bundle_refused")
                #expect(written.first?.actor == "uiserve")
                #expect(written.first?.detail["code"] == "hash_mismatch")
                #expect(written.first?.detail["content_hash"] == record.contentHash.description)
            }
        }
    }

    @Test func aRevokedCachedBundleIsOneEvent() async throws {
        try await Self.withCache(archive: Fixtures.demoBundle) { cache, events, registry, record in
            _ = try await cache.bundle(for: record)
            #expect(cache.updateTrust(try TrustBundle.load(path: Fixtures.path("trust/untrusted.pem"))) == 1)
            #expect(await events.flush() == 1)
            let written = try await registry.events(extensionID: record.extensionRecord.id)
            #expect(written.first?.type == "signature_revoked")
            #expect(written.first?.detail["reason"] == "signature no longer trusted")
        }
    }
}
