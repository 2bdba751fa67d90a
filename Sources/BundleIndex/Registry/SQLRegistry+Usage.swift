import Foundation
import SQLKit

/// The gateway's usage writes: execution log rows and quota window counters, in batches.
extension SQLRegistry {
    /// Appends log rows and adds usage increments, in one transaction (all or nothing, so a retried
    /// batch is never counted twice).
    public func appendUsage(entries: [ExecutionLogEntry], usage: [QuotaUsage]) async throws {
        guard !entries.isEmpty || !usage.isEmpty else { return }
        // Many rows per statement: one statement per row cost a parse and a trip through the
        // database's thread per gateway request, about a third of the gateway's CPU under load.
        let now = self.now()
        let counters = Self.merged(usage)
        try await query("usage write") {
            try await self.transaction { db in
                for rows in Self.statements(entries) {
                    let values: [SQLQueryString] = rows.map { entry in
                        """
                        (\(bind: entry.id), \(bind: entry.tenantID), \(bind: entry.extensionID), \(bind: entry.versionID), \(bind: entry.requestID),
                         \(bind: Self.timestamp(entry.startedAt)), \(bind: Self.timestamp(entry.finishedAt)), \(bind: entry.status.rawValue),
                         \(bind: entry.httpStatus), \(bind: entry.durationMilliseconds))
                        """
                    }
                    try await db.raw("""
                        INSERT INTO extension_execution_log (id, tenant_id, registry_id, version_id, request_id, started_at, finished_at,
                                                             status, http_status, duration_ms)
                        VALUES \(values.joined(separator: ", "))
                        """).run()
                }
                for rows in Self.statements(counters) {
                    let values: [SQLQueryString] = rows.map { item in
                        """
                        (\(bind: item.tenantID), \(bind: item.extensionID), \(bind: Self.timestamp(item.windowStart)), \(bind: item.calls),
                         \(bind: item.requestBytes), \(bind: item.responseBytes), \(bind: now))
                        """
                    }
                    try await db.raw("""
                        INSERT INTO extension_quota_usage (tenant_id, registry_id, window_start, calls, request_bytes, response_bytes, updated_at)
                        VALUES \(values.joined(separator: ", "))
                        ON CONFLICT (tenant_id, registry_id, window_start) DO UPDATE SET
                            calls = extension_quota_usage.calls + excluded.calls,
                            request_bytes = extension_quota_usage.request_bytes + excluded.request_bytes,
                            response_bytes = extension_quota_usage.response_bytes + excluded.response_bytes,
                            updated_at = excluded.updated_at
                        """).run()
                }
            }
        }
    }

    /// Rows per multi-row INSERT: 10 binds each stays far below SQLite's 32,766 and PostgreSQL's
    /// 65,535 bind limits.
    static let rowsPerStatement = 200

    /// `rows` cut into runs of at most `rowsPerStatement`, one INSERT each.
    static func statements<Row>(_ rows: [Row]) -> [ArraySlice<Row>] {
        stride(from: 0, to: rows.count, by: rowsPerStatement).map { rows[$0..<min($0 + rowsPerStatement, rows.count)] }
    }

    /// One counter per (tenant, extension, window): PostgreSQL refuses an upsert that touches the
    /// same row twice in one statement.
    static func merged(_ usage: [QuotaUsage]) -> [QuotaUsage] {
        var order: [String] = []
        var sums: [String: QuotaUsage] = [:]
        for item in usage {
            let key = "\(item.tenantID) \(item.extensionID) \(item.windowStart.timeIntervalSince1970)"
            if var sum = sums[key] {
                sum.calls += item.calls
                sum.requestBytes += item.requestBytes
                sum.responseBytes += item.responseBytes
                sums[key] = sum
            } else {
                order.append(key)
                sums[key] = item
            }
        }
        return order.compactMap { sums[$0] }
    }

    /// A tenant's calls in the window, over all its extensions (what the daily quota counts).
    public func windowCalls(tenantID: String, windowStart: Date) async throws -> Int {
        try await query("quota lookup") {
            try await self.database.raw("""
                SELECT CAST(COALESCE(SUM(calls), 0) AS BIGINT) AS calls FROM extension_quota_usage
                WHERE tenant_id = \(bind: tenantID) AND window_start = \(bind: Self.timestamp(windowStart))
                """).first(decodingColumn: "calls", as: Int.self) ?? 0
        }
    }

    /// A tenant's usage rows for one window (for operators and tests).
    public func quotaUsage(tenantID: String, windowStart: Date) async throws -> [QuotaUsage] {
        struct Row: Decodable { var registry_id: String, calls: Int, request_bytes: Int64, response_bytes: Int64 }
        return try await query("quota lookup") {
            try await self.database.raw("""
                SELECT registry_id, calls, request_bytes, response_bytes FROM extension_quota_usage
                WHERE tenant_id = \(bind: tenantID) AND window_start = \(bind: Self.timestamp(windowStart)) ORDER BY registry_id
                """).all(decoding: Row.self).map {
                QuotaUsage(tenantID: tenantID, extensionID: $0.registry_id, windowStart: windowStart, calls: $0.calls,
                           requestBytes: $0.request_bytes, responseBytes: $0.response_bytes)
            }
        }
    }

    /// A tenant's execution log rows, oldest first (for operators and tests).
    public func executionLog(tenantID: String) async throws -> [ExecutionLogEntry] {
        struct Row: Decodable {
            var id: String, tenant_id: String, registry_id: String, version_id: String?, request_id: String, started_at: String, finished_at: String
            var status: String, http_status: Int, duration_ms: Int
        }
        return try await query("execution log lookup") {
            try await self.database.raw("""
                SELECT id, tenant_id, registry_id, version_id, request_id, started_at, finished_at, status, http_status, duration_ms
                FROM extension_execution_log WHERE tenant_id = \(bind: tenantID) ORDER BY started_at, id
                """).all(decoding: Row.self).map {
                ExecutionLogEntry(id: $0.id, tenantID: $0.tenant_id, extensionID: $0.registry_id, versionID: $0.version_id, requestID: $0.request_id,
                                  startedAt: Self.parseTimestamp($0.started_at).map { Date(timeIntervalSince1970: TimeInterval($0)) } ?? .distantPast,
                                  finishedAt: Self.parseTimestamp($0.finished_at).map { Date(timeIntervalSince1970: TimeInterval($0)) } ?? .distantPast,
                                  status: ExecutionLogEntry.Status(rawValue: $0.status) ?? .error, httpStatus: $0.http_status,
                                  durationMilliseconds: $0.duration_ms)
            }
        }
    }
}
