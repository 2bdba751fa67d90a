import Synchronization

/// A thread-safe map whose entries expire `ttl` after they were stored (time is injected, so
/// expiry is tested without sleeping). Stores absent results too, as `.some(nil)`.
public final class TTLCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct Entry {
        var value: Value?
        var expires: ContinuousClock.Instant
    }

    private let entries = Mutex<[Key: Entry]>([:])
    private let positiveTTL: Duration
    private let negativeTTL: Duration
    private let now: @Sendable () -> ContinuousClock.Instant
    /// Bounds memory: past this many entries, expired ones are swept, then the cache is cleared.
    private let maxEntries: Int

    public init(positiveTTL: Duration, negativeTTL: Duration, maxEntries: Int = 100_000,
                now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }) {
        self.positiveTTL = positiveTTL
        self.negativeTTL = negativeTTL
        self.maxEntries = maxEntries
        self.now = now
    }

    /// `.some(value)` (possibly `.some(nil)`, a cached absence) while fresh; nil when unknown or expired.
    public func lookup(_ key: Key) -> Value?? {
        let instant = now()
        return entries.withLock { entries -> Value?? in
            guard let entry = entries[key], entry.expires > instant else { return nil }
            return .some(entry.value)
        }
    }

    /// Stores a result (nil for "no such row") with the positive or negative TTL.
    public func store(_ value: Value?, for key: Key) {
        let instant = now()
        let entry = Entry(value: value, expires: instant + (value == nil ? negativeTTL : positiveTTL))
        entries.withLock { entries in
            if entries.count >= maxEntries {
                entries = entries.filter { $0.value.expires > instant }
                if entries.count >= maxEntries { entries.removeAll() }
            }
            entries[key] = entry
        }
    }

    /// The cached value, or `load()`'s result, stored.
    public func value(for key: Key, load: () async throws -> Value?) async throws -> Value? {
        if let cached = lookup(key) { return cached }
        let loaded = try await load()
        store(loaded, for: key)
        return loaded
    }
}
