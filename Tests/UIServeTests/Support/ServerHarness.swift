import BundleIndex
import Foundation
import Logging
import TestSupport

@testable import UIServe

/// A throwaway deployment for route tests: a folder store, a SQLite registry file and a cache root
/// in a temporary directory, with the demo bundle published the way `uiserve bundle publish` does.
struct ServerHarness {
    let directory: String
    let configuration: Configuration
    let registry: SQLRegistry
    let store: FolderBundleStore
    let demoHash: ContentHash
    let demoExtensionID: String

    static func make(_ extra: [String: String] = [:]) async throws -> ServerHarness {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("uiserve-server-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var environment = [
            "UISERVE_PORT": "1", "BUNDLE_STORE_BASE": directory + "/store", "REGISTRY_URL": "sqlite://" + directory + "/registry.sqlite",
            "EXT_CACHE_ROOT": directory + "/cache", "SIGNING_TRUST_BUNDLE": Fixtures.path("trust/demo.pem"),
        ]
        environment.merge(extra) { $1 }
        var configuration = try Configuration(environment: environment)
        configuration.port = 0
        let registry = try await SQLRegistry.open(url: configuration.registryURL)
        try await registry.migrate()
        let store = FolderBundleStore(root: directory + "/store")
        try FileManager.default.createDirectory(atPath: store.root, withIntermediateDirectories: true)
        let hash = try FileDigest.contentHash(ofFileAt: Fixtures.demoBundle)
        let published = try await Self.publish(registry: registry, store: store, bundle: Fixtures.demoBundle, sig: Fixtures.path("demo/bundle.sig"), hash: hash)
        return ServerHarness(directory: directory, configuration: configuration, registry: registry, store: store, demoHash: hash, demoExtensionID: published.extensionId)
    }

    /// Stores `bundle` (and `sig`) under the hash's default key and records the rows for the demo manifest.
    @discardableResult
    static func publish(registry: SQLRegistry, store: FolderBundleStore, bundle: String, sig: String?, hash: ContentHash,
                        manifest: ExtensionManifest? = nil) async throws -> SQLRegistry.Published {
        let key = try BundleKeyTemplate().archiveKey(hash: hash)
        try await store.put(key: key, from: bundle)
        if let sig { try await store.put(key: BundleKeyTemplate.signatureKey(besides: key), from: sig) }
        let manifest = try manifest ?? ExtensionManifest.parse(Data(contentsOf: URL(fileURLWithPath: Fixtures.path("demo/src/manifest.json"))))
        return try await registry.publish(manifest: manifest, hash: hash, signature: nil, storageKey: key, size: 0)
    }

    func makeCache() throws -> BundleCache {
        try BundleCache(configuration: configuration.cacheConfiguration, store: store, trust: configuration.loadTrust(), logger: Logger(label: "test"))
    }

    func cleanUp() async {
        try? await registry.shutdown()
        try? FileManager.default.removeItem(atPath: directory)
    }
}
