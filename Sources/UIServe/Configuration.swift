import BundleIndex
import Foundation
import Gateway
import Metrics

/// Everything `uiserve` reads from its environment, with documented defaults, turned into the
/// modules' configurations. Names match the host application's where it has one. Relative paths
/// are relative to the working directory.
struct Configuration: Sendable {
    /// `UISERVE_HOST` (default 127.0.0.1) and `UISERVE_PORT` (default 8080).
    var host: String
    var port: Int
    /// `BUNDLE_STORE_BASE`: `/abs/path`, `file:///abs/path`, a relative path (default `.uiserve/store`),
    /// `s3://bucket[/prefix]` (with `STORAGE_S3_ENDPOINT`) or `http(s)://host:port/bucket[/prefix]`.
    var storeBase: String
    /// The object-storage location when `storeBase` names one (`STORAGE_S3_*` variables).
    var s3: S3Location?
    /// `BUNDLE_KEY_TEMPLATE` (default `sha256/{hex}/bundle.tar.zst`).
    var keyTemplate: BundleKeyTemplate
    /// `REGISTRY_URL` (default `sqlite://.uiserve/registry.sqlite`): `sqlite:///path` or `postgres://user:pass@host:port/db`.
    var registryURL: String
    /// `EXT_REGISTRY_CACHE_TTL_MS` (default 30000): how long registry answers are remembered.
    var registryCacheTTL: Duration
    /// `SIGNING_TRUST_BUNDLE`: PEM of trusted keys and roots (no default).
    var trustBundlePath: String?
    /// `SIGNING_POLICY`: required (default with a trust bundle), optional, off.
    var signaturePolicy: SignaturePolicy
    /// `EXT_CACHE_ROOT` (default `.uiserve/cache`).
    var cacheRoot: String
    /// `EXT_CACHE_MAX_BYTES` (default 1 GiB): byte budget of extracted bundles, LRU-evicted.
    var maxCacheBytes: Int64
    /// `EXT_BUNDLE_DENYLIST`: a file of revoked content hashes (re-read on SIGHUP).
    var denylistPath: String?
    /// `EXT_UI_HOT_CACHE_BYTES` (default 64 MiB): memory for files up to 1 MiB each.
    var hotCacheBytes: Int64
    /// `EXT_BUNDLE_MAX_BYTES` (default 200 MiB).
    var maxBundleBytes: Int64
    /// `EXT_BUNDLE_MAX_ENTRIES` (10,000), `EXT_STATIC_MAX_FILE_BYTES` (32 MiB), `EXT_BUNDLE_MAX_EXPANDED_BYTES` (256 MiB).
    var limits: ExtractionPolicy.Limits
    /// `EXT_UI_CONTENT_SECURITY_POLICY`, `EXT_UI_FRAME_ANCESTORS`.
    var contentSecurityPolicy: String?
    var frameAncestors: String?
    /// `UISERVE_DEMO_EXTENSION` (default `acme.hello`) and `UISERVE_DEMO_CONTENT_HASH` (no default):
    /// when the hash is set, `/` serves a demo host page embedding that bundle.
    var demoExtension: String
    var demoContentHash: ContentHash?
    /// `UISERVE_ADMIN_TOKEN`: bearer token for `POST /internal/prefetch` (no token: the endpoint answers 401).
    var adminToken: String?
    /// `RUNNER_BASE_URL`: the Runner (`/api/ext` answers 503 until it and a JWT key are set).
    var runnerBaseURL: String?
    /// `EXT_GATEWAY_JWT_SECRET` (HS256) or `EXT_GATEWAY_JWKS_FILE` (RS256/ES256/EdDSA), `EXT_GATEWAY_JWT_AUDIENCE`,
    /// `EXT_GATEWAY_TENANT_CLAIM` (default `tenant`).
    var jwtSecret: String?
    var jwksFile: String?
    var jwtAudience: String?
    var tenantClaim: String
    /// `RUNNER_SERVICE_TOKEN`, `EXT_GATEWAY_ALLOWED_ORIGINS` (comma-separated), `EXT_GATEWAY_MAX_BODY_BYTES`,
    /// `EXT_GATEWAY_MAX_RESPONSE_BYTES`, `EXT_GATEWAY_TIMEOUT_MS`.
    var gateway: GatewayConfiguration
    /// `EXT_GATEWAY_RATE_LIMIT`, e.g. `50/s burst 100` (none by default).
    var rateLimit: RateLimiter.Limit?
    /// `EXT_GATEWAY_DAILY_QUOTA` (calls per tenant per UTC day, none by default) and
    /// `EXT_GATEWAY_LOG_BUFFER_ROWS` (execution log rows held while the database is slow, 10000).
    var usage: UsageRecorder.Configuration

    /// Every variable this type reads, for the documentation and the completeness test.
    static let variables = [
        "UISERVE_HOST", "UISERVE_PORT", "BUNDLE_STORE_BASE", "BUNDLE_KEY_TEMPLATE", "REGISTRY_URL", "SIGNING_TRUST_BUNDLE",
        "SIGNING_POLICY", "EXT_CACHE_ROOT", "EXT_BUNDLE_MAX_BYTES", "EXT_BUNDLE_MAX_ENTRIES", "EXT_STATIC_MAX_FILE_BYTES",
        "EXT_BUNDLE_MAX_EXPANDED_BYTES", "EXT_UI_CONTENT_SECURITY_POLICY", "EXT_UI_FRAME_ANCESTORS", "UISERVE_DEMO_EXTENSION",
        "UISERVE_DEMO_CONTENT_HASH", "STORAGE_S3_ENDPOINT", "STORAGE_S3_REGION", "STORAGE_S3_ACCESS_KEY", "STORAGE_S3_SECRET_KEY",
        "STORAGE_S3_FORCE_PATH_STYLE", "STORAGE_S3_CA_FILE", "EXT_REGISTRY_CACHE_TTL_MS", "EXT_CACHE_MAX_BYTES", "EXT_BUNDLE_DENYLIST", "UISERVE_ADMIN_TOKEN", "EXT_UI_HOT_CACHE_BYTES", "RUNNER_BASE_URL",
        "RUNNER_SERVICE_TOKEN", "EXT_GATEWAY_JWT_SECRET", "EXT_GATEWAY_JWKS_FILE", "EXT_GATEWAY_JWT_AUDIENCE", "EXT_GATEWAY_TENANT_CLAIM",
        "EXT_GATEWAY_ALLOWED_ORIGINS", "EXT_GATEWAY_MAX_BODY_BYTES", "EXT_GATEWAY_MAX_RESPONSE_BYTES", "EXT_GATEWAY_TIMEOUT_MS", "EXT_GATEWAY_RATE_LIMIT",
        "EXT_GATEWAY_DAILY_QUOTA", "EXT_GATEWAY_LOG_BUFFER_ROWS",
    ]

    init(environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        func integer(_ name: String, _ fallback: Int64) throws -> Int64 {
            guard let text = value(name) else { return fallback }
            guard let number = Int64(text), number > 0 else { throw UIServeError.configuration("\(name)='\(text)' must be a positive integer") }
            return number
        }
        host = value("UISERVE_HOST") ?? "127.0.0.1"
        port = Int(try integer("UISERVE_PORT", 8080))
        storeBase = value("BUNDLE_STORE_BASE") ?? ".uiserve/store"
        s3 = try S3Location.parse(base: storeBase, environment: environment)
        keyTemplate = try BundleKeyTemplate(value("BUNDLE_KEY_TEMPLATE") ?? BundleKeyTemplate.defaultTemplate)
        registryURL = try Self.registryURL(environment: environment)
        registryCacheTTL = .milliseconds(try integer("EXT_REGISTRY_CACHE_TTL_MS", 30_000))
        trustBundlePath = value("SIGNING_TRUST_BUNDLE")
        if let text = value("SIGNING_POLICY") {
            guard let policy = SignaturePolicy(parsing: text) else {
                throw UIServeError.configuration("SIGNING_POLICY='\(text)' must be required, optional or off")
            }
            signaturePolicy = policy
        } else {
            signaturePolicy = .required
        }
        if signaturePolicy != .off && trustBundlePath == nil {
            throw UIServeError.configuration("SIGNING_TRUST_BUNDLE is not set: set it to a PEM trust bundle (or SIGNING_POLICY=off to serve unsigned bundles)")
        }
        cacheRoot = value("EXT_CACHE_ROOT") ?? ".uiserve/cache"
        maxCacheBytes = try integer("EXT_CACHE_MAX_BYTES", 1 << 30)
        denylistPath = value("EXT_BUNDLE_DENYLIST")
        hotCacheBytes = try integer("EXT_UI_HOT_CACHE_BYTES", 64 << 20)
        maxBundleBytes = try integer("EXT_BUNDLE_MAX_BYTES", 200 << 20)
        limits = ExtractionPolicy.Limits(
            maxEntries: Int(try integer("EXT_BUNDLE_MAX_ENTRIES", 10_000)),
            maxFileBytes: try integer("EXT_STATIC_MAX_FILE_BYTES", 32 << 20),
            maxExpandedBytes: try integer("EXT_BUNDLE_MAX_EXPANDED_BYTES", 256 << 20))
        contentSecurityPolicy = value("EXT_UI_CONTENT_SECURITY_POLICY")
        frameAncestors = value("EXT_UI_FRAME_ANCESTORS")
        demoExtension = value("UISERVE_DEMO_EXTENSION") ?? "acme.hello"
        demoContentHash = try value("UISERVE_DEMO_CONTENT_HASH").map(ContentHash.parse)
        runnerBaseURL = value("RUNNER_BASE_URL")
        jwtSecret = value("EXT_GATEWAY_JWT_SECRET")
        jwksFile = value("EXT_GATEWAY_JWKS_FILE")
        jwtAudience = value("EXT_GATEWAY_JWT_AUDIENCE")
        tenantClaim = value("EXT_GATEWAY_TENANT_CLAIM") ?? "tenant"
        gateway = GatewayConfiguration(
            runnerServiceToken: value("RUNNER_SERVICE_TOKEN"),
            allowedOrigins: Set((value("EXT_GATEWAY_ALLOWED_ORIGINS") ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }),
            maxBodyBytes: Int(try integer("EXT_GATEWAY_MAX_BODY_BYTES", 10 << 20)),
            maxResponseBytes: Int(try integer("EXT_GATEWAY_MAX_RESPONSE_BYTES", 10 << 20)),
            timeout: .milliseconds(try integer("EXT_GATEWAY_TIMEOUT_MS", 5000)))
        if let text = value("EXT_GATEWAY_RATE_LIMIT") {
            guard let limit = RateLimiter.Limit(parsing: text) else {
                throw UIServeError.configuration("EXT_GATEWAY_RATE_LIMIT='\(text)' must look like '50/s burst 100'")
            }
            rateLimit = limit
        } else {
            rateLimit = nil
        }
        usage = UsageRecorder.Configuration(dailyQuota: try value("EXT_GATEWAY_DAILY_QUOTA").map { _ in Int(try integer("EXT_GATEWAY_DAILY_QUOTA", 1)) },
                                            capacity: Int(try integer("EXT_GATEWAY_LOG_BUFFER_ROWS", 10_000)))
        // It goes into every Runner request's `authorization` field: a space or control character
        // would fail every call at run time (or, unchecked, start another field).
        if let token = gateway.runnerServiceToken, token.isEmpty || !token.isVisibleASCII {
            throw UIServeError.configuration("RUNNER_SERVICE_TOKEN must be visible ASCII without spaces")
        }
        adminToken = value("UISERVE_ADMIN_TOKEN")
        if let adminToken, adminToken.utf8.count < 16 {
            throw UIServeError.configuration("UISERVE_ADMIN_TOKEN must be at least 16 characters")
        }
    }

    /// The bundle store named by `BUNDLE_STORE_BASE`.
    func makeStore() throws -> any BundleStore {
        if let s3 { return S3BundleStore(location: s3) }
        var base = storeBase
        if base.hasPrefix("file://") { base = String(base.dropFirst("file://".count)) }
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        return FolderBundleStore(root: base)
    }

    /// The trust bundle, when one is configured.
    func loadTrust() throws -> TrustBundle? { try trustBundlePath.map(TrustBundle.load) }

    /// The denylist, when one is configured.
    func loadDenylist() throws -> Set<ContentHash> { try denylistPath.map(Denylist.load) ?? [] }

    /// The cache configuration.
    var cacheConfiguration: BundleCache.Configuration {
        BundleCache.Configuration(root: cacheRoot, maxBundleBytes: maxBundleBytes, limits: limits, keyTemplate: keyTemplate,
                                  signaturePolicy: signaturePolicy, maxCacheBytes: maxCacheBytes)
    }
}

extension Configuration {
    /// The gateway, when `RUNNER_BASE_URL` and a JWT key are configured; nil otherwise.
    func makeGateway(registry: any Registry, runner: (any RunnerClient)? = nil, usage: UsageRecorder? = nil,
                     metrics: any MetricsFactory = MetricsSystem.factory) async throws -> GatewayResponder? {
        guard let runnerBaseURL else { return nil }
        let authenticator: TenantAuthenticator
        if let jwksFile {
            guard let data = FileManager.default.contents(atPath: jwksFile) else {
                throw UIServeError.configuration("EXT_GATEWAY_JWKS_FILE=\(jwksFile): cannot read")
            }
            authenticator = try await .jwks(json: String(decoding: data, as: UTF8.self), audience: jwtAudience, tenantClaim: tenantClaim)
        } else if let jwtSecret {
            authenticator = try await .hs256(secret: jwtSecret, audience: jwtAudience, tenantClaim: tenantClaim)
        } else {
            throw UIServeError.configuration("RUNNER_BASE_URL is set: set EXT_GATEWAY_JWT_SECRET or EXT_GATEWAY_JWKS_FILE too")
        }
        return GatewayResponder(configuration: gateway, authenticator: authenticator, registry: registry,
                                runner: runner ?? NIORunnerClient(baseURL: runnerBaseURL) ?? HTTPRunnerClient(baseURL: runnerBaseURL), limiter: rateLimit.map { RateLimiter(limit: $0) },
                                usage: usage, metrics: metrics)
    }
}

extension Configuration {
    /// Every size and time limit in force, one `NAME=value` each, printed at start-up so an
    /// operator sees what this instance enforces. The defaults are chosen for a 2-core, 4 GiB
    /// instance (see the README's configuration table for why each is what it is).
    var limitsSummary: String {
        let entries: [(String, String)] = [
            ("EXT_CACHE_MAX_BYTES", String(maxCacheBytes)),
            ("EXT_BUNDLE_MAX_BYTES", String(maxBundleBytes)),
            ("EXT_BUNDLE_MAX_ENTRIES", String(limits.maxEntries)),
            ("EXT_BUNDLE_MAX_EXPANDED_BYTES", String(limits.maxExpandedBytes)),
            ("EXT_STATIC_MAX_FILE_BYTES", String(limits.maxFileBytes)),
            ("EXT_UI_HOT_CACHE_BYTES", String(hotCacheBytes)),
            ("EXT_REGISTRY_CACHE_TTL_MS", String(Int(registryCacheTTL / .milliseconds(1)))),
            ("EXT_GATEWAY_MAX_BODY_BYTES", String(gateway.maxBodyBytes)),
            ("EXT_GATEWAY_MAX_RESPONSE_BYTES", String(gateway.maxResponseBytes)),
            ("EXT_GATEWAY_TIMEOUT_MS", String(Int(gateway.timeout / .milliseconds(1)))),
            ("EXT_GATEWAY_RATE_LIMIT", rateLimit.map { String(format: "'%g/s burst %g'", $0.perSecond, $0.burst) } ?? "none"),
            ("EXT_GATEWAY_DAILY_QUOTA", usage.dailyQuota.map(String.init) ?? "none"),
            ("EXT_GATEWAY_LOG_BUFFER_ROWS", String(usage.capacity)),
        ]
        return "limits: " + entries.map { "\($0.0)=\($0.1)" }.joined(separator: " ")
    }
}
