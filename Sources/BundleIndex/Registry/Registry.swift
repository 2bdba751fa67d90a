/// The lookups the serving path needs from the registry (which bundles exist, for which extension).
///
/// Owned by BundleIndex so the cache and the routes can run against a fake in unit tests, and
/// against real SQLite and PostgreSQL in integration tests. Lookups return nil for "no such row".
public protocol Registry: Sendable {
    /// An extension by registry id, install id, or `publisher.name` (case-insensitive).
    func extensionRecord(matching id: String) async throws -> ExtensionRecord?

    /// The bundle with `hash` if it is a published bundle of the extension `extensionID` (a registry
    /// id) and its version is not yanked.
    func bundleRecord(extensionID: String, hash: ContentHash) async throws -> BundleRecord?

    /// A version's active bundle: its newest `extension_bundle` row; nil when the version is yanked.
    func activeBundle(versionID: String) async throws -> BundleRecord?

    /// The tenant's install of the extension when it is enabled (`is_enabled` and `status = 'enabled'`).
    func enabledInstall(tenantID: String, extensionID: String) async throws -> InstallRecord?

    /// A version with the API endpoints its manifest declared.
    func versionRecord(versionID: String) async throws -> VersionRecord?

    /// Whether the registry answers (for readiness checks).
    func probe() async throws
}

/// One row of `extension_registry`.
public struct ExtensionRecord: Sendable, Equatable, Codable {
    public var id: String
    public var publisher: String
    public var name: String

    public init(id: String, publisher: String, name: String) {
        self.id = id
        self.publisher = publisher
        self.name = name
    }

    /// `publisher.name`.
    public var qualifiedName: String { "\(publisher).\(name)" }

    /// Whether `text` may name an extension in a URL (registry id, install id or `publisher.name`):
    /// 1–200 of letters, digits, `.`, `-`, `_`, and not `.` or `..`.
    public static func isValidReference(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 200 && text != "." && text != ".."
            && text.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || "._-".unicodeScalars.contains($0) }
    }
}

/// A published bundle: its `extension_bundle` row joined with its version and extension.
public struct BundleRecord: Sendable, Equatable {
    public var bundleID: String
    public var extensionRecord: ExtensionRecord
    public var versionID: String
    public var version: String
    public var contentHash: ContentHash
    /// The DSSE envelope JSON when the registry stores it (it then wins over the sidecar object).
    public var signature: String?
    /// An explicit store key (wins over the key template).
    public var storageKey: String?
    public var sizeBytes: Int64?
    /// When the bundle was published (seconds since 1970): the `Last-Modified` of its files, the same
    /// on every replica because it comes from the registry.
    public var publishedAt: Int64?

    public init(bundleID: String, extensionRecord: ExtensionRecord, versionID: String, version: String, contentHash: ContentHash,
                signature: String?, storageKey: String?, sizeBytes: Int64?, publishedAt: Int64? = nil) {
        self.bundleID = bundleID
        self.extensionRecord = extensionRecord
        self.versionID = versionID
        self.version = version
        self.contentHash = contentHash
        self.signature = signature
        self.storageKey = storageKey
        self.sizeBytes = sizeBytes
        self.publishedAt = publishedAt
    }

    /// The identity the signed statement must name.
    public var identity: BundleIdentity {
        BundleIdentity(publisher: extensionRecord.publisher, name: extensionRecord.name, version: version)
    }
}

/// One row of `tenant_extension_install`, with its version.
public struct InstallRecord: Sendable, Equatable, Codable {
    public var id: String
    public var tenantID: String
    public var extensionID: String
    public var versionID: String
    public var version: String
    public var isEnabled: Bool
    public var status: String
    public var grantedCapabilities: [String]
    public var config: [String: String]

    public init(id: String, tenantID: String, extensionID: String, versionID: String, version: String, isEnabled: Bool, status: String,
                grantedCapabilities: [String], config: [String: String]) {
        self.id = id
        self.tenantID = tenantID
        self.extensionID = extensionID
        self.versionID = versionID
        self.version = version
        self.isEnabled = isEnabled
        self.status = status
        self.grantedCapabilities = grantedCapabilities
        self.config = config
    }
}

/// One row of `extension_version`: the endpoints the gateway may forward.
public struct VersionRecord: Sendable, Equatable {
    public var id: String
    public var extensionID: String
    public var version: String
    public var endpoints: [ExtensionManifest.Endpoint]

    public init(id: String, extensionID: String, version: String, endpoints: [ExtensionManifest.Endpoint]) {
        self.id = id
        self.extensionID = extensionID
        self.version = version
        self.endpoints = endpoints
    }
}
