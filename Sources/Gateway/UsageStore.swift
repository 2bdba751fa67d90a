import BundleIndex
import Foundation

/// Where the gateway's usage goes: execution log rows and quota counters, written in batches off
/// the request path. A seam owned by the gateway so unit tests can use a fake; `SQLRegistry` is
/// the real one (SQLite and PostgreSQL).
public protocol UsageStore: Sendable {
    /// Writes a batch: all of it or nothing.
    func appendUsage(entries: [ExecutionLogEntry], usage: [QuotaUsage]) async throws

    /// A tenant's calls in a quota window, over all its extensions.
    func windowCalls(tenantID: String, windowStart: Date) async throws -> Int
}

extension SQLRegistry: UsageStore {}
