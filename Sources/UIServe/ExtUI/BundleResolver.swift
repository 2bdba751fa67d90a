import BundleIndex
import Synchronization

/// Resolves `(extensionId, contentHash)` from a URL to a verified, cached bundle.
///
/// The first request for a pair asks the registry whether the hash is a published bundle of that
/// extension and has the cache produce it; the answer is then remembered, so later requests touch
/// neither the database nor the disk, and keep being served if either goes down.
final class BundleResolver: Sendable {
    private struct Key: Hashable {
        var extensionID: String
        var hash: ContentHash
    }

    private let registry: any Registry
    private let cache: BundleCache
    private let resolved = Mutex<[Key: CachedBundle]>([:])

    init(registry: any Registry, cache: BundleCache) {
        self.registry = registry
        self.cache = cache
    }

    /// The bundle, from memory when this pair was resolved before (no await, no IO).
    func cached(extensionID: String, hash: ContentHash) -> CachedBundle? {
        resolved.withLock { $0[Key(extensionID: extensionID, hash: hash)] }
    }

    /// Resolves through the registry and the cache; throws `notFound` when the hash is not a
    /// published bundle of the extension.
    func resolve(extensionID: String, hash: ContentHash) async throws -> CachedBundle {
        if let bundle = cached(extensionID: extensionID, hash: hash) { return bundle }
        guard let ext = try await registry.extensionRecord(matching: extensionID),
            let record = try await registry.bundleRecord(extensionID: ext.id, hash: hash)
        else { throw BundleIndexError(.notFound, "\(hash) is not a published bundle of \(extensionID)") }
        let bundle = try await cache.bundle(for: record)
        resolved.withLock { $0[Key(extensionID: extensionID, hash: hash)] = bundle }
        return bundle
    }
}
