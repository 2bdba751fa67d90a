import Foundation
import SQLKit

/// The registry's writes, used by the publish and install commands (the serving path only reads).
extension SQLRegistry {
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
                    "SELECT \(Self.extensionColumns) FROM extension_registry r WHERE lower(r.publisher) = \(bind: manifest.publisher.lowercased()) AND lower(r.name) = \(bind: manifest.name.lowercased())"
                ).first(decoding: ExtensionRow.self) {
                    extensionID = row.id
                } else {
                    extensionID = newExtensionID
                    try await db.raw("INSERT INTO extension_registry (id, publisher, name, created_at) VALUES (\(bind: extensionID), \(bind: manifest.publisher), \(bind: manifest.name), \(bind: now))").run()
                }
                let versionID: String
                if let existing = try await db.raw("SELECT CAST(id AS TEXT) AS id FROM extension_version WHERE CAST(registry_id AS TEXT) = \(bind: extensionID) AND version = \(bind: manifest.version)").first(decodingColumn: "id", as: String.self) {
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
                let exists = try await db.raw("SELECT CAST(id AS TEXT) AS id FROM extension_bundle WHERE CAST(version_id AS TEXT) = \(bind: versionID) AND content_hash = \(bind: hash.description)").first(decodingColumn: "id", as: String.self)
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

    /// Installs `version` of an extension for a tenant (replacing the tenant's previous install of it).
    /// Throws `notFound` for an unknown version, naming it.
    public func addInstall(tenantID: String, extensionID: String, version: String, config: [String: String], enabled: Bool) async throws -> InstallRecord {
        try await query("install") {
            try await self.transaction { db in
                guard let versionID = try await db.raw(
                    "SELECT CAST(id AS TEXT) AS id FROM extension_version WHERE CAST(registry_id AS TEXT) = \(bind: extensionID) AND version = \(bind: version)"
                ).first(decodingColumn: "id", as: String.self) else {
                    throw BundleIndexError(.notFound, "version \(version) of extension \(extensionID) is not published")
                }
                let now = self.now()
                let status = enabled ? "enabled" : "disabled"
                let existing = try await db.raw(
                    "SELECT CAST(id AS TEXT) AS id FROM tenant_extension_install WHERE CAST(tenant_id AS TEXT) = \(bind: tenantID) AND CAST(registry_id AS TEXT) = \(bind: extensionID)"
                ).first(decodingColumn: "id", as: String.self)
                let id = existing ?? UUID().uuidString.lowercased()
                if existing != nil {
                    try await db.raw("""
                        UPDATE tenant_extension_install SET version_id = \(bind: versionID), is_enabled = \(bind: enabled), status = \(bind: status),
                               config = \(bind: Self.json(config)), updated_at = \(bind: now) WHERE CAST(id AS TEXT) = \(bind: id)
                        """).run()
                } else {
                    try await db.raw("""
                        INSERT INTO tenant_extension_install (id, tenant_id, registry_id, version_id, is_enabled, status, granted_caps, config, created_at, updated_at)
                        VALUES (\(bind: id), \(bind: tenantID), \(bind: extensionID), \(bind: versionID), \(bind: enabled), \(bind: status), \(bind: "[]"),
                                \(bind: Self.json(config)), \(bind: now), \(bind: now))
                        """).run()
                }
                return InstallRecord(id: id, tenantID: tenantID, extensionID: extensionID, versionID: versionID, version: version,
                                     isEnabled: enabled, status: status, grantedCapabilities: [], config: config)
            }
        }
    }

    /// Removes the tenant's install of the extension; false when there was none.
    public func removeInstall(tenantID: String, extensionID: String) async throws -> Bool {
        try await query("uninstall") {
            guard try await self.anyInstall(tenantID: tenantID, extensionID: extensionID) != nil else { return false }
            try await self.database.raw(
                "DELETE FROM tenant_extension_install WHERE CAST(tenant_id AS TEXT) = \(bind: tenantID) AND CAST(registry_id AS TEXT) = \(bind: extensionID)"
            ).run()
            return true
        }
    }

    /// Enables or disables the tenant's install (`is_enabled` and `status` together); false when
    /// there is no such install.
    public func setInstallEnabled(tenantID: String, extensionID: String, enabled: Bool) async throws -> Bool {
        try await query("install update") {
            guard try await self.anyInstall(tenantID: tenantID, extensionID: extensionID) != nil else { return false }
            try await self.database.raw("""
                UPDATE tenant_extension_install SET is_enabled = \(bind: enabled), status = \(bind: enabled ? "enabled" : "disabled"),
                       updated_at = \(bind: self.now())
                WHERE CAST(tenant_id AS TEXT) = \(bind: tenantID) AND CAST(registry_id AS TEXT) = \(bind: extensionID)
                """).run()
            return true
        }
    }

    /// Every install, or a tenant's, ordered by tenant then extension.
    public func installs(tenantID: String? = nil) async throws -> [InstallRecord] {
        try await query("install list") {
            if let tenantID {
                return try await self.database.raw("""
                    \(Self.installSelect) WHERE CAST(i.tenant_id AS TEXT) = \(bind: tenantID) ORDER BY CAST(i.registry_id AS TEXT)
                    """).all(decoding: InstallRow.self).map { $0.record() }
            }
            return try await self.database.raw("""
                \(Self.installSelect) ORDER BY CAST(i.tenant_id AS TEXT), CAST(i.registry_id AS TEXT)
                """).all(decoding: InstallRow.self).map { $0.record() }
        }
    }
}
