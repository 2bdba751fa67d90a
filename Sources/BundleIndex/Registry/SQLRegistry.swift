import Foundation
import Logging
import NIOPosix
@preconcurrency import AsyncKit
import PostgresKit
import SQLKit
import SQLiteKit

/// The registry over SQL (sql-kit): one query implementation for SQLite (the embedded default,
/// created and migrated by uiserve) and PostgreSQL (the host application's database, read as it
/// is: every id is read through `CAST(… AS TEXT)` so uuid columns work too).
public final class SQLRegistry: Registry, @unchecked Sendable {
    /// The database all queries go through; sql-kit databases are safe to share across tasks.
    public let database: any SQLDatabase
    private let close: @Sendable () async throws -> Void
    let clock: @Sendable () -> Date

    public init(database: any SQLDatabase, clock: @escaping @Sendable () -> Date = Date.init, close: @escaping @Sendable () async throws -> Void = {}) {
        self.database = database
        self.clock = clock
        self.close = close
    }

    /// Opens `sqlite:///abs/path` (or `sqlite://relative/path`, `sqlite::memory:`) or
    /// `postgres://user:pass@host:port/db` (a small connection pool that reconnects by itself).
    public static func open(url: String, logger: Logger = Logger(label: "uiserve.registry")) async throws -> SQLRegistry {
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            let configuration: SQLPostgresConfiguration
            do {
                configuration = try SQLPostgresConfiguration(url: url.hasPrefix("postgresql://") ? "postgres://" + url.dropFirst("postgresql://".count) : url)
            } catch {
                throw BundleIndexError(.configuration, "REGISTRY_URL is not a valid postgres:// URL", cause: error)
            }
            let pool = EventLoopGroupConnectionPool(source: PostgresConnectionSource(sqlConfiguration: configuration), maxConnectionsPerEventLoop: 2,
                                                    requestTimeout: .seconds(10), logger: logger, on: MultiThreadedEventLoopGroup.singleton)
            let database = pool.database(logger: logger).sql(queryLogLevel: nil)
            return SQLRegistry(database: database, close: { try await pool.shutdownAsync() })
        }
        guard url.hasPrefix("sqlite:") else {
            throw BundleIndexError(.configuration, "REGISTRY_URL '\(url.prefix(60))' is not supported (use sqlite:///path or postgres://user:pass@host:port/db)")
        }
        let rest = url.dropFirst("sqlite:".count)
        let storage: SQLiteConnection.Storage
        if rest == ":memory:" {
            storage = .memory
        } else {
            let path = rest.hasPrefix("//") ? String(rest.dropFirst(2)) : String(rest)
            guard !path.isEmpty else { throw BundleIndexError(.configuration, "REGISTRY_URL '\(url)' has no path") }
            let directory = (path as NSString).deletingLastPathComponent
            try FileManager.default.createDirectory(atPath: directory.isEmpty ? "." : directory, withIntermediateDirectories: true)
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
        if case .file = storage {
            // Write-ahead log: the server's batched execution-log writes and the CLI's publishes do
            // not block readers, and a commit appends to the log instead of writing and syncing a
            // rollback journal (with `synchronous = NORMAL`, the log is synced at checkpoints; a
            // power loss may drop the last commits, never corrupt the file). Measured on the
            // gateway benchmark: 70 fsyncs a second → none between checkpoints.
            try await database.raw("PRAGMA journal_mode = WAL").run()
            try await database.raw("PRAGMA synchronous = NORMAL").run()
        }
        return SQLRegistry(database: database, close: { try await connection.close() })
    }

    /// Closes the connection or pool.
    public func shutdown() async throws { try await close() }

    // MARK: migrations

    /// The migrations not yet applied, in order, without changing anything (`registry migrate --dry-run`).
    public func pendingMigrations() async throws -> [RegistryMigrations.Migration] {
        let applied: Set<Int>
        do {
            applied = Set(try await database.raw("SELECT version FROM uiserve_schema_migrations").all(decodingColumn: "version", as: Int.self))
        } catch {
            // No ledger yet: a new database, every migration is pending (probe so a dead database still fails).
            try await probe()
            applied = []
        }
        return RegistryMigrations.all.filter { !applied.contains($0.version) }
    }

    /// Applies every migration not yet applied, in order; returns the versions applied (empty when
    /// the schema is current, so running it twice changes nothing).
    @discardableResult
    public func migrate() async throws -> [Int] {
        try await query("migration") {
            try await self.database.raw(SQLQueryString(RegistryMigrations.ledger)).run()
            let applied = Set(try await self.database.raw("SELECT version FROM uiserve_schema_migrations").all(decodingColumn: "version", as: Int.self))
            var done: [Int] = []
            for migration in RegistryMigrations.all where !applied.contains(migration.version) {
                try await self.transaction { db in
                    for statement in migration.statements { try await db.raw(SQLQueryString(statement)).run() }
                    try await db.raw("INSERT INTO uiserve_schema_migrations (version, name, applied_at) VALUES (\(bind: migration.version), \(bind: migration.name), \(bind: self.now()))").run()
                }
                done.append(migration.version)
            }
            return done
        }
    }

    // MARK: lookups

    struct ExtensionRow: Decodable {
        var id: String
        var publisher: String
        var name: String
        var record: ExtensionRecord { ExtensionRecord(id: id, publisher: publisher, name: name) }
    }

    static let extensionColumns = SQLQueryString("CAST(r.id AS TEXT) AS id, r.publisher, r.name")

    public func extensionRecord(matching id: String) async throws -> ExtensionRecord? {
        try await query("extension lookup") {
            if let row = try await self.database.raw("SELECT \(Self.extensionColumns) FROM extension_registry r WHERE CAST(r.id AS TEXT) = \(bind: id)").first(decoding: ExtensionRow.self) {
                return row.record
            }
            if let row = try await self.database.raw("""
                SELECT \(Self.extensionColumns) FROM tenant_extension_install i JOIN extension_registry r ON r.id = i.registry_id
                WHERE CAST(i.id AS TEXT) = \(bind: id)
                """).first(decoding: ExtensionRow.self) {
                return row.record
            }
            guard let dot = id.firstIndex(of: "."), dot != id.startIndex else { return nil }
            let publisher = String(id[..<dot]).lowercased(), name = String(id[id.index(after: dot)...]).lowercased()
            return try await self.database.raw(
                "SELECT \(Self.extensionColumns) FROM extension_registry r WHERE lower(r.publisher) = \(bind: publisher) AND lower(r.name) = \(bind: name)"
            ).first(decoding: ExtensionRow.self)?.record
        }
    }

    struct BundleRow: Decodable {
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
        var created_at: String?

        func record() throws -> BundleRecord {
            BundleRecord(bundleID: bundle_id, extensionRecord: ExtensionRecord(id: registry_id, publisher: publisher, name: name),
                         versionID: version_id, version: version, contentHash: try ContentHash.parse(content_hash),
                         signature: signature, storageKey: storage_url, sizeBytes: size_bytes,
                         publishedAt: created_at.flatMap(SQLRegistry.parseTimestamp))
        }
    }

    static let bundleSelect = SQLQueryString("""
        SELECT CAST(b.id AS TEXT) AS bundle_id, CAST(r.id AS TEXT) AS registry_id, r.publisher, r.name, CAST(v.id AS TEXT) AS version_id,
               v.version, b.content_hash, CAST(b.signature AS TEXT) AS signature, b.storage_url, b.size_bytes,
               CAST(b.created_at AS TEXT) AS created_at
        FROM extension_bundle b
        JOIN extension_version v ON v.id = b.version_id
        JOIN extension_registry r ON r.id = v.registry_id
        """)

    public func bundleRecord(extensionID: String, hash: ContentHash) async throws -> BundleRecord? {
        try await query("bundle lookup") {
            try await self.database.raw("""
                \(Self.bundleSelect)
                WHERE CAST(r.id AS TEXT) = \(bind: extensionID) AND lower(b.content_hash) = \(bind: hash.description) AND v.yanked_at IS NULL
                ORDER BY b.created_at DESC
                """).first(decoding: BundleRow.self)?.record()
        }
    }

    public func activeBundle(versionID: String) async throws -> BundleRecord? {
        try await query("active bundle lookup") {
            try await self.database.raw("""
                \(Self.bundleSelect)
                WHERE CAST(v.id AS TEXT) = \(bind: versionID) AND v.yanked_at IS NULL
                ORDER BY b.created_at DESC
                """).first(decoding: BundleRow.self)?.record()
        }
    }

    struct InstallRow: Decodable {
        var id: String
        var tenant_id: String
        var registry_id: String
        var version_id: String
        var version: String
        var is_enabled: Bool
        var status: String
        var granted_caps: String?
        var config: String?

        func record() -> InstallRecord {
            let caps = SQLRegistry.decodeList(granted_caps)
            let config = self.config.flatMap { try? JSONDecoder().decode([String: String].self, from: Data($0.utf8)) } ?? [:]
            return InstallRecord(id: id, tenantID: tenant_id, extensionID: registry_id, versionID: version_id, version: version,
                                 isEnabled: is_enabled, status: status, grantedCapabilities: caps, config: config)
        }
    }

    static let installSelect = SQLQueryString("""
        SELECT CAST(i.id AS TEXT) AS id, CAST(i.tenant_id AS TEXT) AS tenant_id, CAST(i.registry_id AS TEXT) AS registry_id,
               CAST(i.version_id AS TEXT) AS version_id, v.version, i.is_enabled, i.status,
               CAST(i.granted_caps AS TEXT) AS granted_caps, CAST(i.config AS TEXT) AS config
        FROM tenant_extension_install i
        JOIN extension_version v ON v.id = i.version_id
        """)

    public func enabledInstall(tenantID: String, extensionID: String) async throws -> InstallRecord? {
        try await query("install lookup") {
            try await self.database.raw("""
                \(Self.installSelect)
                WHERE CAST(i.tenant_id AS TEXT) = \(bind: tenantID) AND CAST(i.registry_id AS TEXT) = \(bind: extensionID)
                  AND i.is_enabled = \(bind: true) AND i.status = 'enabled'
                """).first(decoding: InstallRow.self)?.record()
        }
    }

    /// The tenant's install of the extension whatever its state (for the install commands).
    public func anyInstall(tenantID: String, extensionID: String) async throws -> InstallRecord? {
        try await query("install lookup") { try await self.installRow(tenantID: tenantID, extensionID: extensionID, on: self.database) }
    }

    private struct VersionRow: Decodable {
        var id: String
        var registry_id: String
        var version: String
        var api_endpoints: String?
    }

    public func versionRecord(versionID: String) async throws -> VersionRecord? {
        try await query("version lookup") {
            guard let row = try await self.database.raw("""
                SELECT CAST(id AS TEXT) AS id, CAST(registry_id AS TEXT) AS registry_id, version, CAST(api_endpoints AS TEXT) AS api_endpoints
                FROM extension_version WHERE CAST(id AS TEXT) = \(bind: versionID)
                """).first(decoding: VersionRow.self) else { return nil }
            let endpoints = row.api_endpoints.flatMap { try? JSONDecoder().decode([ExtensionManifest.Endpoint].self, from: Data($0.utf8)) } ?? []
            return VersionRecord(id: row.id, extensionID: row.registry_id, version: row.version, endpoints: endpoints)
        }
    }

    public func probe() async throws {
        _ = try await query("probe") { try await self.database.raw("SELECT 1 AS one").first() }
    }

    // MARK: helpers

    /// Seconds since 1970 from a stored timestamp: ours (ISO 8601) or PostgreSQL's text form of a
    /// timestamptz (`2024-05-01 10:00:00.123+00`).
    static func parseTimestamp(_ text: String) -> Int64? {
        var iso = text.replacingOccurrences(of: " ", with: "T")
        if let sign = iso.lastIndex(where: { $0 == "+" || $0 == "-" }), iso.distance(from: sign, to: iso.endIndex) == 3, iso.contains("T") {
            iso += ":00"
        }
        let formatter = ISO8601DateFormatter()
        for options: ISO8601DateFormatter.Options in [[.withInternetDateTime, .withFractionalSeconds], [.withInternetDateTime]] {
            formatter.formatOptions = options
            if let date = formatter.date(from: iso) { return Int64(date.timeIntervalSince1970.rounded(.down)) }
        }
        return nil
    }

    func now() -> String { Self.timestamp(clock()) }

    /// The stored text form of a time: ISO 8601 in UTC with milliseconds (sorts as it reads), e.g.
    /// `2026-11-26T02:03:42.123Z`. Formatted by hand: an `ISO8601DateFormatter` per call was a
    /// measured share of every gateway call's log row.
    static func timestamp(_ date: Date) -> String {
        // To the nearest microsecond first (0.999 s is 998.99… ms in binary), then down to the millisecond.
        let milliseconds = Int64((date.timeIntervalSince1970 * 1_000_000).rounded()).quotientFloorDivided(by: 1000)
        var seconds = time_t(milliseconds.quotientFloorDivided(by: 1000))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let fields: [(value: Int32, width: Int, after: UInt8)] = [
            (parts.tm_year + 1900, 4, UInt8(ascii: "-")), (parts.tm_mon + 1, 2, UInt8(ascii: "-")), (parts.tm_mday, 2, UInt8(ascii: "T")),
            (parts.tm_hour, 2, UInt8(ascii: ":")), (parts.tm_min, 2, UInt8(ascii: ":")), (parts.tm_sec, 2, UInt8(ascii: ".")),
            (Int32(milliseconds - Int64(seconds) * 1000), 3, UInt8(ascii: "Z")),
        ]
        // Digits written in place: three allocations per timestamp (the table, the bytes, the string);
        // string concatenation made a dozen.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(28)
        for field in fields {
            guard field.value >= 0 else {
                bytes.append(contentsOf: String(field.value).utf8)
                bytes.append(field.after)
                continue
            }
            var value = Int(field.value), divisor = 1, count = 1
            while divisor * 10 <= value { divisor *= 10; count += 1 }
            if count < field.width { bytes.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: field.width - count)) }
            while divisor > 0 {
                bytes.append(UInt8(ascii: "0") + UInt8(value / divisor))
                value %= divisor
                divisor /= 10
            }
            bytes.append(field.after)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func json(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(value)) ?? Data("null".utf8), as: UTF8.self)
    }

    /// Runs `body` in one transaction on one connection (sql-kit has sessions, not transactions).
    func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
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

    /// Wraps driver errors in one `registry` error that says what failed, without credentials.
    func query<T: Sendable>(_ what: String, _ body: @Sendable () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as BundleIndexError {
            throw error
        } catch {
            throw BundleIndexError(.registry, "registry \(what) failed: \(String(describing: error).prefix(300))", cause: error)
        }
    }
}

extension Int64 {
    /// Division rounding toward negative infinity (times before 1970 stay in the right second).
    func quotientFloorDivided(by divisor: Int64) -> Int64 {
        let (quotient, remainder) = quotientAndRemainder(dividingBy: divisor)
        return remainder < 0 ? quotient - 1 : quotient
    }
}
