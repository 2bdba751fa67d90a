/// A `Registry` in front of another that remembers answers, positive and negative, for a TTL
/// (`EXT_REGISTRY_CACHE_TTL_MS`), so a hot lookup never waits on the database and a flood of
/// unknown ids does not reach it either. Changes in the database are seen within one TTL.
public final class CachedRegistry: Registry {
    private let inner: any Registry
    private let extensions: TTLCache<String, ExtensionRecord>
    private let bundles: TTLCache<String, BundleRecord>
    private let installs: TTLCache<String, InstallRecord>
    private let versions: TTLCache<String, VersionRecord>

    /// Negative answers live at most `negativeTTL` (default: the TTL, capped at 5 s) so a just-published
    /// bundle or a just-enabled install is not refused for long.
    public init(_ inner: any Registry, ttl: Duration, negativeTTL: Duration? = nil,
                now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }) {
        self.inner = inner
        let negative = negativeTTL ?? min(ttl, .seconds(5))
        extensions = TTLCache(positiveTTL: ttl, negativeTTL: negative, now: now)
        bundles = TTLCache(positiveTTL: ttl, negativeTTL: negative, now: now)
        installs = TTLCache(positiveTTL: ttl, negativeTTL: negative, now: now)
        versions = TTLCache(positiveTTL: ttl, negativeTTL: negative, now: now)
    }

    public func extensionRecord(matching id: String) async throws -> ExtensionRecord? {
        try await extensions.value(for: Self.extensionKey(id)) { try await inner.extensionRecord(matching: id) }
    }

    public func bundleRecord(extensionID: String, hash: ContentHash) async throws -> BundleRecord? {
        try await bundles.value(for: "h \(extensionID) \(hash.hex)") { try await inner.bundleRecord(extensionID: extensionID, hash: hash) }
    }

    public func activeBundle(versionID: String) async throws -> BundleRecord? {
        try await bundles.value(for: Self.activeBundleKey(versionID)) { try await inner.activeBundle(versionID: versionID) }
    }

    public func enabledInstall(tenantID: String, extensionID: String) async throws -> InstallRecord? {
        try await installs.value(for: Self.installKey(tenantID, extensionID)) { try await inner.enabledInstall(tenantID: tenantID, extensionID: extensionID) }
    }

    public func versionRecord(versionID: String) async throws -> VersionRecord? {
        try await versions.value(for: versionID) { try await inner.versionRecord(versionID: versionID) }
    }

    // MARK: answers without a query, for callers that must not wait (the gateway's event-loop answers)

    /// `.some(record)` or `.some(nil)` (a remembered absence) while fresh; nil when a query is needed.
    public func rememberedExtension(matching id: String) -> ExtensionRecord?? { extensions.lookup(Self.extensionKey(id)) }
    public func rememberedInstall(tenantID: String, extensionID: String) -> InstallRecord?? { installs.lookup(Self.installKey(tenantID, extensionID)) }
    public func rememberedActiveBundle(versionID: String) -> BundleRecord?? { bundles.lookup(Self.activeBundleKey(versionID)) }
    public func rememberedVersion(versionID: String) -> VersionRecord?? { versions.lookup(versionID) }

    private static func extensionKey(_ id: String) -> String { id.lowercased() }
    private static func installKey(_ tenantID: String, _ extensionID: String) -> String { "\(tenantID) \(extensionID)" }
    private static func activeBundleKey(_ versionID: String) -> String { "v \(versionID)" }

    public func probe() async throws { try await inner.probe() }
}
