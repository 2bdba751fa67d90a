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
                        newExtensionID: String = UUID().uuidString.lowercased(), actor: String = "uiserve") async throws -> Published {
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
                    try await self.recordEvent(.published, extensionID: extensionID, tenantID: nil, actor: actor,
                                               detail: ["version": manifest.version, "content_hash": hash.description], on: db)
                }
                return Published(extensionId: extensionID, versionId: versionID, contentHash: hash.description)
            }
        }
    }

    /// Installs `version` of an extension for a tenant (replacing the tenant's previous install of it,
    /// keeping its granted capabilities that the new version still declares). Throws `notFound` for
    /// an unknown version and `refused` for a yanked one.
    public func addInstall(tenantID: String, extensionID: String, version: String, config: [String: String], enabled: Bool,
                           actor: String = "uiserve") async throws -> InstallRecord {
        try await query("install") {
            try await self.transaction { db in
                struct VersionRow: Decodable { var id: String, capabilities: String?, yanked_at: String? }
                guard let row = try await db.raw("""
                    SELECT CAST(id AS TEXT) AS id, CAST(capabilities AS TEXT) AS capabilities, CAST(yanked_at AS TEXT) AS yanked_at
                    FROM extension_version WHERE CAST(registry_id AS TEXT) = \(bind: extensionID) AND version = \(bind: version)
                    """).first(decoding: VersionRow.self) else {
                    throw BundleIndexError(.notFound, "version \(version) of extension \(extensionID) is not published")
                }
                guard row.yanked_at == nil else {
                    throw BundleIndexError(.refused, "version \(version) of extension \(extensionID) was yanked and cannot be installed")
                }
                let now = self.now()
                let status = enabled ? "enabled" : "disabled"
                let existing = try await self.installRow(tenantID: tenantID, extensionID: extensionID, on: db)
                let id = existing?.id ?? UUID().uuidString.lowercased()
                let declared = Set(Self.decodeList(row.capabilities))
                let caps = (existing?.grantedCapabilities ?? []).filter(declared.contains)
                if existing != nil {
                    try await db.raw("""
                        UPDATE tenant_extension_install SET version_id = \(bind: row.id), is_enabled = \(bind: enabled), status = \(bind: status),
                               granted_caps = \(bind: Self.json(caps)), config = \(bind: Self.json(config)), updated_at = \(bind: now)
                        WHERE CAST(id AS TEXT) = \(bind: id)
                        """).run()
                } else {
                    try await db.raw("""
                        INSERT INTO tenant_extension_install (id, tenant_id, registry_id, version_id, is_enabled, status, granted_caps, config, created_at, updated_at)
                        VALUES (\(bind: id), \(bind: tenantID), \(bind: extensionID), \(bind: row.id), \(bind: enabled), \(bind: status), \(bind: Self.json(caps)),
                                \(bind: Self.json(config)), \(bind: now), \(bind: now))
                        """).run()
                }
                try await self.recordEvent(.installed, extensionID: extensionID, tenantID: tenantID, actor: actor,
                                           detail: ["version": version, "status": status, "install_id": id], on: db)
                return InstallRecord(id: id, tenantID: tenantID, extensionID: extensionID, versionID: row.id, version: version,
                                     isEnabled: enabled, status: status, grantedCapabilities: caps, config: config)
            }
        }
    }

    /// Removes the tenant's install of the extension; false when there was none.
    public func removeInstall(tenantID: String, extensionID: String, actor: String = "uiserve") async throws -> Bool {
        try await changeInstall("uninstall", tenantID: tenantID, extensionID: extensionID) { db, install in
            try await db.raw("DELETE FROM tenant_extension_install WHERE CAST(id AS TEXT) = \(bind: install.id)").run()
            try await self.recordEvent(.uninstalled, extensionID: extensionID, tenantID: tenantID, actor: actor, detail: ["version": install.version], on: db)
        }.found
    }

    /// Enables or disables the tenant's install (`is_enabled` and `status` together); false when
    /// there is no such install.
    public func setInstallEnabled(tenantID: String, extensionID: String, enabled: Bool, actor: String = "uiserve") async throws -> Bool {
        try await changeInstall("install update", tenantID: tenantID, extensionID: extensionID) { db, install in
            try await db.raw("""
                UPDATE tenant_extension_install SET is_enabled = \(bind: enabled), status = \(bind: enabled ? "enabled" : "disabled"),
                       updated_at = \(bind: self.now()) WHERE CAST(id AS TEXT) = \(bind: install.id)
                """).run()
            try await self.recordEvent(enabled ? .enabled : .disabled, extensionID: extensionID, tenantID: tenantID, actor: actor,
                                       detail: ["version": install.version], on: db)
        }.found
    }

    /// Sets (or, with a nil value, removes) one configuration entry of the tenant's install; returns
    /// the updated install, nil when there is none.
    public func setInstallConfig(tenantID: String, extensionID: String, key: String, value: String?, actor: String = "uiserve") async throws -> InstallRecord? {
        try await changeInstall("install config", tenantID: tenantID, extensionID: extensionID) { db, install in
            var config = install.config
            config[key] = value
            try await db.raw("""
                UPDATE tenant_extension_install SET config = \(bind: Self.json(config)), updated_at = \(bind: self.now())
                WHERE CAST(id AS TEXT) = \(bind: install.id)
                """).run()
            // The value may be a secret: the event names the key only.
            try await self.recordEvent(.configChanged, extensionID: extensionID, tenantID: tenantID, actor: actor,
                                       detail: ["key": key, "change": value == nil ? "removed" : "set"], on: db)
        }.after
    }

    /// Grants or revokes one capability on the tenant's install. A grant must name a capability the
    /// installed version declares (else `refused`); granting twice or revoking what was not granted
    /// changes nothing. Returns the updated install, nil when there is none.
    public func setCapability(tenantID: String, extensionID: String, capability: String, granted: Bool, actor: String = "uiserve") async throws -> InstallRecord? {
        try await changeInstall("install capabilities", tenantID: tenantID, extensionID: extensionID) { db, install in
            let declared = Self.decodeList(try await db.raw(
                "SELECT CAST(capabilities AS TEXT) AS capabilities FROM extension_version WHERE CAST(id AS TEXT) = \(bind: install.versionID)"
            ).first(decodingColumn: "capabilities", as: String?.self) ?? nil)
            if granted && !declared.contains(capability) {
                let list = declared.isEmpty ? "none" : declared.joined(separator: ", ")
                throw BundleIndexError(.refused, "version \(install.version) does not declare capability '\(capability)' (it declares: \(list))")
            }
            var caps = install.grantedCapabilities.filter { $0 != capability }
            if granted { caps.append(capability) }
            caps.sort()
            guard caps != install.grantedCapabilities.sorted() else { return }
            try await db.raw("""
                UPDATE tenant_extension_install SET granted_caps = \(bind: Self.json(caps)), updated_at = \(bind: self.now())
                WHERE CAST(id AS TEXT) = \(bind: install.id)
                """).run()
            try await self.recordEvent(granted ? .capabilityGranted : .capabilityRevoked, extensionID: extensionID, tenantID: tenantID, actor: actor,
                                       detail: ["capability": capability], on: db)
        }.after
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

    /// Runs `change` on the tenant's install inside one transaction; says whether there was an install
    /// (without one nothing changes) and returns it as it is afterwards.
    private func changeInstall(_ what: String, tenantID: String, extensionID: String,
                               _ change: @escaping @Sendable (any SQLDatabase, InstallRecord) async throws -> Void) async throws -> (found: Bool, after: InstallRecord?) {
        try await query(what) {
            try await self.transaction { db in
                guard let install = try await self.installRow(tenantID: tenantID, extensionID: extensionID, on: db) else { return (false, nil) }
                try await change(db, install)
                return (true, try await self.installRow(tenantID: tenantID, extensionID: extensionID, on: db))
            }
        }
    }

    func installRow(tenantID: String, extensionID: String, on db: any SQLDatabase) async throws -> InstallRecord? {
        try await db.raw("""
            \(Self.installSelect)
            WHERE CAST(i.tenant_id AS TEXT) = \(bind: tenantID) AND CAST(i.registry_id AS TEXT) = \(bind: extensionID)
            """).first(decoding: InstallRow.self)?.record()
    }
}
