/// Least-recently-used bookkeeping for the cache (pure logic, no IO): what each entry weighs, when
/// it was last used, and which entries to evict to get under a byte budget without touching the
/// pinned ones.
public struct LRUBook<Key: Hashable & Sendable>: Sendable {
    private var entries: [Key: (bytes: Int64, tick: UInt64)] = [:]
    private var clock: UInt64 = 0
    /// The bytes of every entry together.
    public private(set) var totalBytes: Int64 = 0

    public init() {}

    public var count: Int { entries.count }

    public func contains(_ key: Key) -> Bool { entries[key] != nil }

    /// Adds `key` (or updates its weight) and marks it most recently used.
    public mutating func insert(_ key: Key, bytes: Int64) {
        clock += 1
        totalBytes += bytes - (entries[key]?.bytes ?? 0)
        entries[key] = (bytes, clock)
    }

    /// Marks `key` most recently used.
    public mutating func touch(_ key: Key) {
        // One hash lookup, changed in place (a read then a write was two; this runs on every hit).
        clock += 1
        entries[key]?.tick = clock
    }

    public mutating func remove(_ key: Key) {
        if let entry = entries.removeValue(forKey: key) { totalBytes -= entry.bytes }
    }

    /// The least recently used keys, oldest first, whose removal brings the total to `budget` or
    /// below, skipping `pinned` ones (so the result may not reach the budget when pins prevent it).
    public func victims(budget: Int64, pinned: Set<Key>) -> [Key] {
        guard totalBytes > budget else { return [] }
        var excess = totalBytes - budget
        var result: [Key] = []
        for (key, entry) in entries.sorted(by: { $0.value.tick < $1.value.tick }) where !pinned.contains(key) {
            result.append(key)
            excess -= entry.bytes
            if excess <= 0 { break }
        }
        return result
    }
}
