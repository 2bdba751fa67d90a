/// The registry schema as versioned, forward-only migrations, in SQL that SQLite and PostgreSQL both
/// accept. Table and column names follow the host application's (`extension_registry`, …) so that
/// uiserve can read the host's PostgreSQL database as it is.
public enum RegistryMigrations {
    /// One schema step.
    public struct Migration: Sendable {
        public var version: Int
        public var name: String
        public var statements: [String]
    }

    public static let all: [Migration] = [
        Migration(version: 1, name: "extension registry, versions, bundles, installs", statements: [
            """
            CREATE TABLE IF NOT EXISTS extension_registry (
                id TEXT PRIMARY KEY,
                publisher TEXT NOT NULL,
                name TEXT NOT NULL,
                created_at TEXT NOT NULL
            )
            """,
            "CREATE UNIQUE INDEX IF NOT EXISTS extension_registry_publisher_name ON extension_registry (lower(publisher), lower(name))",
            """
            CREATE TABLE IF NOT EXISTS extension_version (
                id TEXT PRIMARY KEY,
                registry_id TEXT NOT NULL REFERENCES extension_registry (id),
                version TEXT NOT NULL,
                runtime TEXT NOT NULL,
                api_endpoints TEXT NOT NULL,
                ui TEXT,
                capabilities TEXT NOT NULL,
                created_at TEXT NOT NULL,
                UNIQUE (registry_id, version)
            )
            """,
            """
            CREATE TABLE IF NOT EXISTS extension_bundle (
                id TEXT PRIMARY KEY,
                version_id TEXT NOT NULL REFERENCES extension_version (id),
                content_hash TEXT NOT NULL,
                signature TEXT,
                storage_url TEXT,
                size_bytes BIGINT,
                created_at TEXT NOT NULL,
                UNIQUE (version_id, content_hash)
            )
            """,
            "CREATE INDEX IF NOT EXISTS extension_bundle_content_hash ON extension_bundle (content_hash)",
            """
            CREATE TABLE IF NOT EXISTS tenant_extension_install (
                id TEXT PRIMARY KEY,
                tenant_id TEXT NOT NULL,
                registry_id TEXT NOT NULL REFERENCES extension_registry (id),
                version_id TEXT NOT NULL REFERENCES extension_version (id),
                is_enabled BOOLEAN NOT NULL,
                status TEXT NOT NULL,
                granted_caps TEXT NOT NULL,
                config TEXT NOT NULL,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                UNIQUE (tenant_id, registry_id)
            )
            """,
        ]),
        Migration(version: 2, name: "events, execution log, quota usage, yanked versions", statements: [
            "ALTER TABLE extension_version ADD COLUMN yanked_at TEXT",
            """
            CREATE TABLE IF NOT EXISTS extension_event (
                id TEXT PRIMARY KEY,
                registry_id TEXT,
                tenant_id TEXT,
                event_type TEXT NOT NULL,
                actor TEXT NOT NULL,
                detail TEXT NOT NULL,
                created_at TEXT NOT NULL
            )
            """,
            "CREATE INDEX IF NOT EXISTS extension_event_registry ON extension_event (registry_id, created_at)",
            """
            CREATE TABLE IF NOT EXISTS extension_execution_log (
                id TEXT PRIMARY KEY,
                tenant_id TEXT NOT NULL,
                registry_id TEXT NOT NULL,
                version_id TEXT,
                request_id TEXT NOT NULL,
                started_at TEXT NOT NULL,
                finished_at TEXT NOT NULL,
                status TEXT NOT NULL,
                http_status INTEGER NOT NULL,
                duration_ms INTEGER NOT NULL
            )
            """,
            "CREATE INDEX IF NOT EXISTS extension_execution_log_tenant ON extension_execution_log (tenant_id, started_at)",
            """
            CREATE TABLE IF NOT EXISTS extension_quota_usage (
                tenant_id TEXT NOT NULL,
                registry_id TEXT NOT NULL,
                window_start TEXT NOT NULL,
                calls BIGINT NOT NULL,
                request_bytes BIGINT NOT NULL,
                response_bytes BIGINT NOT NULL,
                updated_at TEXT NOT NULL,
                PRIMARY KEY (tenant_id, registry_id, window_start)
            )
            """,
        ]),
    ]

    /// The bookkeeping table, created before any migration runs.
    static let ledger = """
        CREATE TABLE IF NOT EXISTS uiserve_schema_migrations (
            version INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            applied_at TEXT NOT NULL
        )
        """
}
