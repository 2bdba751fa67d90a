/// What the registry commands report: extensions, their versions and bundles, and their events.
/// Plain Codable values, so `--json` output is these types encoded as they are.
public enum RegistryCatalog {
    /// One extension in `registry list`.
    public struct ExtensionSummary: Sendable, Equatable, Codable {
        public var id: String
        public var publisher: String
        public var name: String
        public var versions: Int
        public var createdAt: String
    }

    /// One extension in `registry show`: its versions (oldest first) and its latest events.
    public struct ExtensionDetail: Sendable, Equatable, Codable {
        public var id: String
        public var publisher: String
        public var name: String
        public var createdAt: String
        public var versions: [Version]
        public var events: [Event]
    }

    /// A published version and its bundles (newest first: the first one is the active bundle).
    public struct Version: Sendable, Equatable, Codable {
        public var id: String
        public var version: String
        public var runtime: String
        public var capabilities: [String]
        public var createdAt: String
        /// When the version was yanked; a yanked version is neither installable nor served.
        public var yankedAt: String?
        public var bundles: [Bundle]
    }

    /// One `extension_bundle` row.
    public struct Bundle: Sendable, Equatable, Codable {
        public var id: String
        public var contentHash: String
        /// The `keyid` hints of the stored DSSE envelope (empty when unsigned or without hints).
        public var signatureKeyIDs: [String]
        public var sizeBytes: Int64?
        public var createdAt: String
        /// The version's newest bundle: the one the gateway and installs use.
        public var active: Bool
    }

    /// One `extension_event` row.
    public struct Event: Sendable, Equatable, Codable {
        public var type: String
        public var actor: String
        public var tenantID: String?
        public var detail: [String: String]
        public var createdAt: String
    }

    /// The kinds of `extension_event` rows uiserve writes.
    public enum EventType: String, Sendable, CaseIterable {
        case published, yanked, installed, enabled, disabled, uninstalled
        case configChanged = "config_changed"
        case capabilityGranted = "capability_granted"
        case capabilityRevoked = "capability_revoked"
        case bundleRefused = "bundle_refused"
        case signatureRevoked = "signature_revoked"
    }
}
