import Foundation
import SQLKit
import Synchronization

/// The registry service's reads and its yank, for `uiserve registry list|show|yank`, and the event
/// log every registry and install change writes to.
extension SQLRegistry {
    /// Every extension (or one publisher's), ordered by publisher and name.
    public func listExtensions(publisher: String? = nil) async throws -> [RegistryCatalog.ExtensionSummary] {
        struct Row: Decodable {
            var id: String, publisher: String, name: String, versions: Int, created_at: String
        }
        let filter: SQLQueryString = publisher.map { "WHERE lower(r.publisher) = \(bind: $0.lowercased())" } ?? ""
        return try await query("extension list") {
            try await self.database.raw("""
                SELECT CAST(r.id AS TEXT) AS id, r.publisher, r.name, CAST(r.created_at AS TEXT) AS created_at,
                       (SELECT COUNT(*) FROM extension_version v WHERE v.registry_id = r.id) AS versions
                FROM extension_registry r \(filter) ORDER BY lower(r.publisher), lower(r.name)
                """).all(decoding: Row.self).map {
                RegistryCatalog.ExtensionSummary(id: $0.id, publisher: $0.publisher, name: $0.name, versions: $0.versions, createdAt: $0.created_at)
            }
        }
    }

    /// An extension with its versions, their bundles and its latest 50 events; nil when unknown.
    public func extensionDetail(_ record: ExtensionRecord) async throws -> RegistryCatalog.ExtensionDetail? {
        struct VersionRow: Decodable {
            var id: String, version: String, runtime: String, capabilities: String?, created_at: String, yanked_at: String?
        }
        struct BundleRow: Decodable {
            var id: String, version_id: String, content_hash: String, signature: String?, size_bytes: Int64?, created_at: String
        }
        return try await query("extension detail") {
            guard let created = try await self.database.raw(
                "SELECT CAST(created_at AS TEXT) AS created_at FROM extension_registry WHERE CAST(id AS TEXT) = \(bind: record.id)"
            ).first(decodingColumn: "created_at", as: String.self) else { return nil }
            let versionRows = try await self.database.raw("""
                SELECT CAST(id AS TEXT) AS id, version, runtime, CAST(capabilities AS TEXT) AS capabilities,
                       CAST(created_at AS TEXT) AS created_at, CAST(yanked_at AS TEXT) AS yanked_at
                FROM extension_version WHERE CAST(registry_id AS TEXT) = \(bind: record.id) ORDER BY created_at, version
                """).all(decoding: VersionRow.self)
            let bundleRows = try await self.database.raw("""
                SELECT CAST(b.id AS TEXT) AS id, CAST(b.version_id AS TEXT) AS version_id, b.content_hash, CAST(b.signature AS TEXT) AS signature,
                       b.size_bytes, CAST(b.created_at AS TEXT) AS created_at
                FROM extension_bundle b JOIN extension_version v ON v.id = b.version_id
                WHERE CAST(v.registry_id AS TEXT) = \(bind: record.id) ORDER BY b.created_at DESC
                """).all(decoding: BundleRow.self)
            let versions = versionRows.map { row in
                let bundles = bundleRows.filter { $0.version_id == row.id }.enumerated().map { index, bundle in
                    RegistryCatalog.Bundle(id: bundle.id, contentHash: bundle.content_hash, signatureKeyIDs: Self.keyIDs(bundle.signature),
                                           sizeBytes: bundle.size_bytes, createdAt: bundle.created_at, active: index == 0)
                }
                return RegistryCatalog.Version(id: row.id, version: row.version, runtime: row.runtime, capabilities: Self.decodeList(row.capabilities),
                                               createdAt: row.created_at, yankedAt: row.yanked_at, bundles: bundles)
            }
            return RegistryCatalog.ExtensionDetail(id: record.id, publisher: record.publisher, name: record.name, createdAt: created,
                                                   versions: versions, events: try await self.events(extensionID: record.id, limit: 50))
        }
    }

    /// The extension's latest events, newest first.
    public func events(extensionID: String, limit: Int = 50) async throws -> [RegistryCatalog.Event] {
        struct Row: Decodable {
            var event_type: String, actor: String, tenant_id: String?, detail: String, created_at: String
        }
        return try await query("event list") {
            try await self.database.raw("""
                SELECT event_type, actor, CAST(tenant_id AS TEXT) AS tenant_id, CAST(detail AS TEXT) AS detail, CAST(created_at AS TEXT) AS created_at
                FROM extension_event WHERE CAST(registry_id AS TEXT) = \(bind: extensionID) ORDER BY created_at DESC, id DESC LIMIT \(unsafeRaw: String(max(0, limit)))
                """).all(decoding: Row.self).map {
                RegistryCatalog.Event(type: $0.event_type, actor: $0.actor, tenantID: $0.tenant_id,
                                      detail: (try? JSONDecoder().decode([String: String].self, from: Data($0.detail.utf8))) ?? [:], createdAt: $0.created_at)
            }
        }
    }

    /// Yanks a version: new installs of it are refused and its bundles are no longer served (the
    /// serving path sees it within the registry cache TTL). Yanking twice changes nothing and returns
    /// false; an unknown version throws `notFound`.
    public func yank(extensionID: String, version: String, actor: String, reason: String? = nil) async throws -> Bool {
        try await query("yank") {
            try await self.transaction { db in
                struct Row: Decodable { var id: String, yanked_at: String? }
                guard let row = try await db.raw("""
                    SELECT CAST(id AS TEXT) AS id, CAST(yanked_at AS TEXT) AS yanked_at FROM extension_version
                    WHERE CAST(registry_id AS TEXT) = \(bind: extensionID) AND version = \(bind: version)
                    """).first(decoding: Row.self) else {
                    throw BundleIndexError(.notFound, "version \(version) of extension \(extensionID) is not published")
                }
                guard row.yanked_at == nil else { return false }
                try await db.raw("UPDATE extension_version SET yanked_at = \(bind: self.now()) WHERE CAST(id AS TEXT) = \(bind: row.id)").run()
                var detail = ["version": version]
                if let reason { detail["reason"] = reason }
                try await self.recordEvent(.yanked, extensionID: extensionID, tenantID: nil, actor: actor, detail: detail, on: db)
                return true
            }
        }
    }

    /// Appends one `extension_event` row on `db` (inside the caller's transaction).
    func recordEvent(_ type: RegistryCatalog.EventType, extensionID: String?, tenantID: String?, actor: String, detail: [String: String],
                     on db: any SQLDatabase) async throws {
        try await db.raw("""
            INSERT INTO extension_event (id, registry_id, tenant_id, event_type, actor, detail, created_at)
            VALUES (\(bind: Self.eventID()), \(bind: extensionID), \(bind: tenantID), \(bind: type.rawValue), \(bind: actor),
                    \(bind: Self.json(detail)), \(bind: self.now()))
            """).run()
    }

    /// Records an event outside any transaction (for the serving path: a refused or revoked bundle).
    public func recordEvent(_ type: RegistryCatalog.EventType, extensionID: String?, tenantID: String? = nil, actor: String, detail: [String: String]) async throws {
        try await query("event") { try await self.recordEvent(type, extensionID: extensionID, tenantID: tenantID, actor: actor, detail: detail, on: self.database) }
    }

    private static let eventCounter = Atomic<UInt32>(0)

    /// A time-ordered event id (microseconds, then a per-process counter, then randomness), so events
    /// stamped in the same millisecond still list in the order they happened.
    static func eventID() -> String {
        let micros = UInt64(max(0, Date().timeIntervalSince1970 * 1_000_000))
        let count = eventCounter.add(1, ordering: .relaxed).newValue
        func hex(_ value: some BinaryInteger, _ width: Int) -> String {
            let text = String(value, radix: 16)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return hex(micros, 14) + "-" + hex(count, 8) + "-" + hex(UInt32.random(in: 0...UInt32.max), 8)
    }

    static func decodeList(_ json: String?) -> [String] {
        json.flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) } ?? []
    }

    static func keyIDs(_ signature: String?) -> [String] {
        guard let signature, let envelope = try? DSSEEnvelope.parse(Data(signature.utf8), source: "registry") else { return [] }
        return envelope.signatures.compactMap(\.keyid)
    }
}
