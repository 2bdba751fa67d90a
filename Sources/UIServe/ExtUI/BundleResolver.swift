import BundleIndex
import Synchronization

/// Resolves `(extensionId, contentHash)` from a URL to a verified, cached bundle.
///
/// The first request for a pair asks the registry whether the hash is a published bundle of that
/// extension; the answer (the bundle's record) is remembered, so later requests touch neither the
/// database nor the disk and keep being served if either goes down. The bundle itself always comes
/// from the cache, which may have evicted it and will then load it again.
final class BundleResolver: Sendable {
    private struct Key: Hashable {
        var extensionID: String
        var hash: ContentHash
    }

    private let registry: any Registry
    let cache: BundleCache
    private let records = Mutex<[Key: BundleRecord]>([:])

    init(registry: any Registry, cache: BundleCache) {
        self.registry = registry
        self.cache = cache
    }

    /// Resolves through the registry (once per pair) and the cache; throws `notFound` when the hash
    /// is not a published bundle of the extension.
    func resolve(extensionID: String, hash: ContentHash) async throws -> CachedBundle {
        let key = Key(extensionID: extensionID, hash: hash)
        if let record = records.withLock({ $0[key] }) {
            // A hit in the cache returns without IO or suspension, and is counted in its metrics.
            return try await cache.bundle(for: record)
        }
        guard let ext = try await registry.extensionRecord(matching: extensionID),
            let record = try await registry.bundleRecord(extensionID: ext.id, hash: hash)
        else { throw BundleIndexError(.notFound, "\(hash) is not a published bundle of \(extensionID)") }
        let bundle = try await cache.bundle(for: record)
        records.withLock { records in
            // Bounded: a flood of distinct valid pairs cannot grow this without limit.
            if records.count >= 100_000 { records.removeAll() }
            records[key] = record
        }
        return bundle
    }
}
