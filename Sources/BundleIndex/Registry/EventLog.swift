import Foundation
import Metrics
import Synchronization

/// Registry events that happen on the serving path — a bundle refused, a cached bundle revoked —
/// kept in a bounded buffer and written to `extension_event` by `flush` (which a background
/// service calls), so raising one never waits on the database. Each (event, content hash) is
/// raised once per process: a bad bundle asked for again and again is one event, not a flood.
public final class EventLog: Sendable {
    /// One event to write.
    public struct Entry: Sendable, Equatable {
        public var type: RegistryCatalog.EventType
        /// The extension: a registry id, or `publisher.name` (resolved to the id when written).
        public var extensionReference: String
        public var detail: [String: String]

        public init(type: RegistryCatalog.EventType, extensionReference: String, detail: [String: String]) {
            self.type = type
            self.extensionReference = extensionReference
            self.detail = detail
        }
    }

    private struct State {
        var pending: [Entry] = []
        var raised: Set<String> = []
    }

    private let registry: SQLRegistry
    private let capacity: Int
    private let actor: String
    private let state = Mutex(State())
    private let dropped: Counter

    public init(registry: SQLRegistry, capacity: Int = 1000, actor: String = "uiserve", metrics: any MetricsFactory = MetricsSystem.factory) {
        self.registry = registry
        self.capacity = capacity
        self.actor = actor
        dropped = Counter(label: "uiserve_registry_events_dropped_total", factory: metrics)
    }

    /// Buffers an event (once per type and `key`, e.g. the content hash); never waits.
    public func record(_ entry: Entry, key: String) {
        let kept = state.withLock { state -> Bool in
            let identity = entry.type.rawValue + " " + key
            guard !state.raised.contains(identity) else { return true }
            guard state.pending.count < capacity else { return false }
            // Bounded: past this many distinct events the memory of what was raised starts over.
            if state.raised.count >= 100_000 { state.raised.removeAll() }
            state.raised.insert(identity)
            state.pending.append(entry)
            return true
        }
        if !kept { dropped.increment() }
    }

    /// Writes the buffered events, oldest first, until done or the database fails (the rest stay
    /// buffered). Events whose extension is unknown to the registry are written without one.
    /// Returns how many were written.
    @discardableResult
    public func flush() async -> Int {
        var written = 0
        while let entry = state.withLock({ $0.pending.first }) {
            do {
                let id = try await registry.extensionRecord(matching: entry.extensionReference)?.id
                var detail = entry.detail
                if id == nil { detail["extension"] = entry.extensionReference }
                try await registry.recordEvent(entry.type, extensionID: id, actor: actor, detail: detail)
            } catch {
                break
            }
            state.withLock { _ = $0.pending.removeFirst() }
            written += 1
        }
        return written
    }
}
