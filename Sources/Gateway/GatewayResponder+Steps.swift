import BundleIndex
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import Metrics
import NIOCore
import NIOPosix
import Synchronization

/// The steps before the body: the route, the token, the records, the endpoint and the limits.
extension GatewayResponder {
    /// The route's own part: the path, the method, a CORS preflight.
    func route(_ exchange: GatewayExchange) -> GatewayStep<RoutedRequest> {
        let rawPath = exchange.uri.path
        guard rawPath.hasPrefix(Self.prefix) || rawPath == "/api/ext" else { return .reply(error(.notFound, "not_found", exchange)) }
        let rest = rawPath.dropFirst(min(rawPath.count, Self.prefix.count))
        let slash = rest.firstIndex(of: "/")
        let extensionSegment = slash.map { rest[..<$0] } ?? rest
        let subpath = slash.map { String(rest[$0...]) } ?? "/"
        guard let extensionID = extensionSegment.percentDecodedString(), ExtensionRecord.isValidReference(extensionID),
            !subpath.hasEmptySegment, let matchPath = subpath.percentDecodedString()
        else { return .reply(error(.notFound, "not_found", exchange)) }
        if exchange.method == .options { return .reply(preflight(exchange)) }
        guard Self.methods.contains(exchange.method) else {
            return .reply(error(.methodNotAllowed, "method_not_allowed", exchange, extra: [.allow: "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"]))
        }
        return .next(RoutedRequest(extensionID: extensionID, subpath: subpath, matchPath: matchPath))
    }

    /// The token's outcome → the tenant, or 401; a tenant header that disagrees → 403.
    func authorize(_ outcome: TenantAuthenticator.Outcome, _ exchange: GatewayExchange) -> GatewayStep<TenantIdentity> {
        guard case .authenticated(let identity) = outcome else {
            return .reply(error(.unauthorized, "unauthorized", exchange, extra: [.wwwAuthenticate: "Bearer"]))
        }
        exchange.trace.tenant = identity.tenantID
        for name in [Self.algaTenant, Self.tenantID] {
            if let claimed = exchange.fields[name], claimed != identity.tenantID { return .reply(error(.forbidden, "tenant_mismatch", exchange)) }
        }
        return .next(identity)
    }

    static let algaTenant = HTTPField.Name("x-alga-tenant")!
    static let tenantID = HTTPField.Name("x-tenant-id")!
    static let idempotencyKey = HTTPField.Name("x-idempotency-key")!
    static let requestIDField = HTTPField.Name("x-request-id")!

    /// Extension → the tenant's enabled install → version → its active bundle; nil when any is absent.
    struct Resolution: Sendable {
        var ext: ExtensionRecord
        var install: InstallRecord
        var bundle: BundleRecord
        var version: VersionRecord
    }

    func resolve(extensionID: String, tenantID: String) async throws -> Resolution? {
        guard let ext = try await registry.extensionRecord(matching: extensionID),
            let install = try await registry.enabledInstall(tenantID: tenantID, extensionID: ext.id),
            let bundle = try await registry.activeBundle(versionID: install.versionID),
            let version = try await registry.versionRecord(versionID: install.versionID)
        else { return nil }
        return Resolution(ext: ext, install: install, bundle: bundle, version: version)
    }

    /// `resolve` from the registry cache alone: nil when a lookup is not in it, `.some(nil)` when
    /// the cache remembers an absence.
    func rememberedResolution(extensionID: String, tenantID: String) -> Resolution?? {
        guard let cache = registry as? CachedRegistry, let ext = cache.rememberedExtension(matching: extensionID) else { return nil }
        guard let ext else { return .some(nil) }
        guard let install = cache.rememberedInstall(tenantID: tenantID, extensionID: ext.id) else { return nil }
        guard let install else { return .some(nil) }
        guard let bundle = cache.rememberedActiveBundle(versionID: install.versionID), let version = cache.rememberedVersion(versionID: install.versionID) else { return nil }
        guard let bundle, let version else { return .some(nil) }
        return .some(Resolution(ext: ext, install: install, bundle: bundle, version: version))
    }

    /// The manifest's endpoint, the rate limit and the quota: the call, admitted, or the refusal.
    func admit(_ routed: RoutedRequest, _ identity: TenantIdentity, _ resolution: Resolution?, _ exchange: GatewayExchange) -> GatewayStart {
        guard let resolution else { return .reply(finish(error(.notFound, "extension_not_available", exchange), exchange)) }
        exchange.trace.extensionID = resolution.ext.id
        exchange.trace.versionID = resolution.version.id
        exchange.trace.contentHash = resolution.bundle.contentHash.description
        let params: [String: String]
        switch EndpointMatcher(endpoints: resolution.version.endpoints).match(method: exchange.method.rawValue, path: routed.matchPath) {
        case .notFound:
            return .reply(finish(error(.notFound, "endpoint_not_found", exchange), exchange))
        case .methodNotAllowed(let allowed):
            return .reply(finish(error(.methodNotAllowed, "method_not_allowed", exchange, extra: [.allow: allowed.joined(separator: ", ")]), exchange))
        case .matched(_, let captured):
            params = captured
        }
        if let limiter, case .limited(let seconds) = limiter.take(tenant: identity.tenantID, extensionID: resolution.ext.id) {
            return .reply(finish(error(.tooManyRequests, "rate_limited", exchange, extra: [.retryAfter: String(seconds)]), exchange))
        }
        if let usage, case .exceeded(let seconds) = usage.admitWithoutWaiting(tenantID: identity.tenantID, extensionID: resolution.ext.id) {
            return .reply(finish(error(.tooManyRequests, "quota_exceeded", exchange, extra: [.retryAfter: String(seconds)]), exchange))
        }
        return .call(GatewayCall(exchange: exchange, identity: identity, resolution: resolution, routed: routed, params: params, responder: self))
    }
}
