import BundleIndex
import Synchronization

/// Resolves `(extensionId, contentHash)` from a URL to a verified, cached bundle.
///
/// The first request for a pair asks the registry whether the hash is a published bundle of that
/// extension; the answer (the bundle's record) is remembered, so later requests touch neither the
/// database nor the disk and keep being served if either goes down. Once a remembered answer is
/// older than `recheckAfter` (the registry cache TTL), the next request asks again, so a yanked
/// version stops being served; a registry that fails then does not stop a bundle that was
/// published. The bundle itself always comes from the cache, which may have evicted it and will
/// then load it again.
final class BundleResolver: Sendable {
    private struct Key: Hashable {
        var extensionID: String
        var hash: ContentHash
    }

    private struct Entry {
        var record: BundleRecord
        var checkedAt: ContinuousClock.Instant
    }

    /// Whether a remembered answer may still be used without asking the registry again.
    private func isFresh(_ entry: Entry, at now: ContinuousClock.Instant) -> Bool { now - entry.checkedAt < recheckAfter }

    private let registry: any Registry
    let cache: BundleCache
    private let recheckAfter: Duration
    private let records = Mutex<[Key: Entry]>([:])

    init(registry: any Registry, cache: BundleCache, recheckAfter: Duration = .seconds(30)) {
        self.registry = registry
        self.cache = cache
        self.recheckAfter = recheckAfter
    }

    /// The bundle when the registry's answer for the pair is remembered and fresh and the bundle is
    /// in memory, with the time until which that answer stays fresh (what an answer remembered from
    /// it may not outlive): no IO, no await, for answering on the event loop. Nil means "ask
    /// `resolve`".
    func remembered(extensionID: String, hash: ContentHash) -> (bundle: CachedBundle, freshUntil: ContinuousClock.Instant)? {
        let key = Key(extensionID: extensionID, hash: hash)
        guard let known = records.withLock({ $0[key] }), isFresh(known, at: .now), let bundle = cache.hit(hash) else { return nil }
        return (bundle, known.checkedAt + recheckAfter)
    }

    /// Resolves through the registry (once per pair and `recheckAfter`) and the cache; throws
    /// `notFound` when the hash is not (or no longer) a published bundle of the extension.
    func resolve(extensionID: String, hash: ContentHash) async throws -> CachedBundle {
        let key = Key(extensionID: extensionID, hash: hash)
        let now = ContinuousClock.now
        let known = records.withLock { $0[key] }
        if let known, isFresh(known, at: now) {
            // A hit in the cache returns without IO or suspension, and is counted in its metrics.
            return try await cache.bundle(for: known.record)
        }
        let record: BundleRecord
        do {
            guard let ext = try await registry.extensionRecord(matching: extensionID),
                let found = try await registry.bundleRecord(extensionID: ext.id, hash: hash)
            else {
                records.withLock { _ = $0.removeValue(forKey: key) }
                throw BundleIndexError(.notFound, "\(hash) is not a published bundle of \(extensionID)")
            }
            record = found
        } catch let error as BundleIndexError where error.code != .notFound {
            // The registry is down: keep serving what it said before, and ask again after another period.
            guard let known else { throw error }
            record = known.record
        }
        let bundle = try await cache.bundle(for: record)
        records.withLock { records in
            // Bounded: a flood of distinct valid pairs cannot grow this without limit.
            if records.count >= 100_000 { records.removeAll() }
            records[key] = Entry(record: record, checkedAt: now)
        }
        return bundle
    }
}
