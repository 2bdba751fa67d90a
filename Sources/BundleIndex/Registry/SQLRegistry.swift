import Foundation
import Logging
import SQLKit
import SQLiteKit

/// The registry over SQL (sql-kit): one query implementation for SQLite (the embedded default,
/// created and migrated by uiserve) and PostgreSQL (the host application's database).
public final class SQLRegistry: Registry, @unchecked Sendable {
    /// The database all queries go through; sql-kit databases are safe to share across tasks.
    public let database: any SQLDatabase
    private let close: @Sendable () async throws -> Void
    private let clock: @Sendable () -> Date

    public init(database: any SQLDatabase, clock: @escaping @Sendable () -> Date = Date.init, close: @escaping @Sendable () async throws -> Void = {}) {
        self.database = database
        self.clock = clock
        self.close = close
    }

    /// Opens `sqlite:///abs/path` (or `sqlite://relative/path`, `sqlite::memory:`).
    public static func open(url: String, logger: Logger = Logger(label: "uiserve.registry")) async throws -> SQLRegistry {
        guard url.hasPrefix("sqlite:") else {
            throw BundleIndexError(.configuration, "REGISTRY_URL '\(url.prefix(60))' is not supported (use sqlite:///path)")
        }
        let rest = url.dropFirst("sqlite:".count)
        let storage: SQLiteConnection.Storage
        if rest == ":memory:" {
            storage = .memory
        } else {
            let path = rest.hasPrefix("//") ? String(rest.dropFirst(2)) : String(rest)
            guard !path.isEmpty else { throw BundleIndexError(.configuration, "REGISTRY_URL '\(url)' has no path") }
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            storage = .file(path: path)
        }
        let connection: SQLiteConnection
        do {
            connection = try await SQLiteConnection.open(storage: storage, logger: logger)
        } catch {
            throw BundleIndexError(.registry, "cannot open \(url): \(error)", cause: error)
        }
        let database = connection.sql()
        try await database.raw("PRAGMA foreign_keys = ON").run()
        try await database.raw("PRAGMA busy_timeout = 5000").run()
        return SQLRegistry(database: database, close: { try await connection.close() })
    }

    /// Closes the connection.
    public func shutdown() async throws { try await close() }

    // MARK: migrations

    /// Applies every migration not yet applied, in order; returns the versions applied (empty when
    /// the schema is current, so running it twice changes nothing).
    @discardableResult
    public func migrate() async throws -> [Int] {
        try await database.raw(SQLQueryString(RegistryMigrations.ledger)).run()
        let applied = Set(try await database.raw("SELECT version FROM uiserve_schema_migrations").all(decodingColumn: "version", as: Int.self))
        var done: [Int] = []
        for migration in RegistryMigrations.all where !applied.contains(migration.version) {
            try await transaction { db in
                for statement in migration.statements { try await db.raw(SQLQueryString(statement)).run() }
                try await db.raw("INSERT INTO uiserve_schema_migrations (version, name, applied_at) VALUES (\(bind: migration.version), \(bind: migration.name), \(bind: self.now()))").run()
            }
            done.append(migration.version)
        }
        return done
    }

    // MARK: lookups

    private struct ExtensionRow: Decodable {
        var id: String
        var publisher: String
        var name: String
    }

    public func extensionRecord(matching id: String) async throws -> ExtensionRecord? {
        try await query("extension lookup") {
            if let row = try await self.database.raw("SELECT id, publisher, name FROM extension_registry WHERE id = \(bind: id)").first(decoding: ExtensionRow.self) {
                return ExtensionRecord(id: row.id, publisher: row.publisher, name: row.name)
            }
            guard let dot = id.firstIndex(of: "."), dot != id.startIndex else { return nil }
            let publisher = String(id[..<dot]).lowercased(), name = String(id[id.index(after: dot)...]).lowercased()
            let row = try await self.database.raw(
                "SELECT id, publisher, name FROM extension_registry WHERE lower(publisher) = \(bind: publisher) AND lower(name) = \(bind: name)"
            ).first(decoding: ExtensionRow.self)
            return row.map { ExtensionRecord(id: $0.id, publisher: $0.publisher, name: $0.name) }
        }
    }

    private struct BundleRow: Decodable {
        var bundle_id: String
        var registry_id: String
        var publisher: String
        var name: String
        var version_id: String
        var version: String
        var content_hash: String
        var signature: String?
        var storage_url: String?
        var size_bytes: Int64?
    }

    public func bundleRecord(extensionID: String, hash: ContentHash) async throws -> BundleRecord? {
        try await query("bundle lookup") {
            let row = try await self.database.raw("""
                SELECT b.id AS bundle_id, r.id AS registry_id, r.publisher, r.name, v.id AS version_id, v.version,
                       b.content_hash, b.signature, b.storage_url, b.size_bytes
                FROM extension_bundle b
                JOIN extension_version v ON v.id = b.version_id
                JOIN extension_registry r ON r.id = v.registry_id
                WHERE r.id = \(bind: extensionID) AND b.content_hash = \(bind: hash.description)
                ORDER BY b.created_at DESC
                """).first(decoding: BundleRow.self)
            guard let row else { return nil }
            return BundleRecord(
                bundleID: row.bundle_id, extensionRecord: ExtensionRecord(id: row.registry_id, publisher: row.publisher, name: row.name),
                versionID: row.version_id, version: row.version, contentHash: try ContentHash.parse(row.content_hash),
                signature: row.signature, storageKey: row.storage_url, sizeBytes: row.size_bytes)
        }
    }

    public func probe() async throws {
        _ = try await query("probe") { try await self.database.raw("SELECT 1 AS one").first() }
    }

    // MARK: publishing

    /// The ids a publish produced or found.
    public struct Published: Sendable, Equatable, Codable {
        public var extensionId: String
        public var versionId: String
        public var contentHash: String
    }

    /// Records registry, version and bundle rows for a verified bundle; rows that exist are reused,
    /// so publishing the same bundle twice returns the same ids and changes nothing. A new extension
    /// gets `newExtensionID` (callers that built a store key from it pass it in).
    public func publish(manifest: ExtensionManifest, hash: ContentHash, signature: String?, storageKey: String?, size: Int64,
                        newExtensionID: String = UUID().uuidString.lowercased()) async throws -> Published {
        try await query("publish") {
            try await self.transaction { db in
                let now = self.now()
                let extensionID: String
                if let row = try await db.raw(
                    "SELECT id, publisher, name FROM extension_registry WHERE lower(publisher) = \(bind: manifest.publisher.lowercased()) AND lower(name) = \(bind: manifest.name.lowercased())"
                ).first(decoding: ExtensionRow.self) {
                    extensionID = row.id
                } else {
                    extensionID = newExtensionID
                    try await db.raw("INSERT INTO extension_registry (id, publisher, name, created_at) VALUES (\(bind: extensionID), \(bind: manifest.publisher), \(bind: manifest.name), \(bind: now))").run()
                }
                let versionID: String
                if let existing = try await db.raw("SELECT id FROM extension_version WHERE registry_id = \(bind: extensionID) AND version = \(bind: manifest.version)").first(decodingColumn: "id", as: String.self) {
                    versionID = existing
                } else {
                    versionID = UUID().uuidString.lowercased()
                    let uiJSON: String? = manifest.ui.map { Self.json($0) }
                    try await db.raw("""
                        INSERT INTO extension_version (id, registry_id, version, runtime, api_endpoints, ui, capabilities, created_at)
                        VALUES (\(bind: versionID), \(bind: extensionID), \(bind: manifest.version), \(bind: manifest.runtime),
                                \(bind: Self.json(manifest.api?.endpoints ?? [])), \(bind: uiJSON), \(bind: Self.json(manifest.capabilities)), \(bind: now))
                        """).run()
                }
                let exists = try await db.raw("SELECT id FROM extension_bundle WHERE version_id = \(bind: versionID) AND content_hash = \(bind: hash.description)").first(decodingColumn: "id", as: String.self)
                if exists == nil {
                    try await db.raw("""
                        INSERT INTO extension_bundle (id, version_id, content_hash, signature, storage_url, size_bytes, created_at)
                        VALUES (\(bind: UUID().uuidString.lowercased()), \(bind: versionID), \(bind: hash.description), \(bind: signature), \(bind: storageKey), \(bind: size), \(bind: now))
                        """).run()
                }
                return Published(extensionId: extensionID, versionId: versionID, contentHash: hash.description)
            }
        }
    }

    // MARK: helpers

    /// Runs `body` in one transaction on one connection (sql-kit has sessions, not transactions).
    private func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await database.withSession { db in
            try await db.raw("BEGIN").run()
            do {
                let result = try await body(db)
                try await db.raw("COMMIT").run()
                return result
            } catch {
                try? await db.raw("ROLLBACK").run()
                throw error
            }
        }
    }

    private func now() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: clock())
    }

    private static func json(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(value)) ?? Data("null".utf8), as: UTF8.self)
    }

    private func query<T: Sendable>(_ what: String, _ body: @Sendable () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as BundleIndexError {
            throw error
        } catch {
            throw BundleIndexError(.registry, "registry \(what) failed: \(String(describing: error).prefix(300))", cause: error)
        }
    }
}
