import BundleIndex
import Foundation
import JWTKit
import Synchronization

/// Who is calling the gateway: the tenant (from the configured claim) and the user (`sub`).
public struct TenantIdentity: Sendable, Equatable {
    public var tenantID: String
    public var userID: String?

    public init(tenantID: String, userID: String?) {
        self.tenantID = tenantID
        self.userID = userID
    }
}

/// Verifies `Authorization: Bearer <JWT>` with jwt-kit: HS256 with a shared secret, or RS256,
/// ES256 and EdDSA with keys from a JWKS. The accepted algorithm of each key is fixed by
/// configuration (the secret, or the JWK's `alg`/key type), and the token's `alg` must equal it
/// before a signature is even checked: no `none`, no HS/RS confusion. `exp` is required, `nbf`
/// honoured and `aud` checked when configured, against an injected clock.
public struct TenantAuthenticator: Sendable {
    /// Why a token was refused (for logs; clients only ever see 401).
    public enum Outcome: Sendable, Equatable {
        case authenticated(TenantIdentity)
        case rejected(reason: String)
    }

    private let keys: JWTKeyCollection
    /// kid → the one algorithm its key verifies ("" for the key used without a kid).
    private let algorithms: [String: String]
    public let audience: String?
    public let tenantClaim: String
    private let now: @Sendable () -> Date
    /// Tokens already verified, with what they proved: a verified token never changes, so a repeat
    /// only needs its time bounds re-checked. Bounded; cleared when full.
    private let verified = VerifiedTokens()

    private init(keys: JWTKeyCollection, algorithms: [String: String], audience: String?, tenantClaim: String, now: @escaping @Sendable () -> Date) {
        self.keys = keys
        self.algorithms = algorithms
        self.audience = audience
        self.tenantClaim = tenantClaim
        self.now = now
    }

    /// HS256 with `EXT_GATEWAY_JWT_SECRET` (at least 32 bytes).
    public static func hs256(secret: String, audience: String? = nil, tenantClaim: String = "tenant",
                             now: @escaping @Sendable () -> Date = Date.init) async throws -> TenantAuthenticator {
        guard secret.utf8.count >= 32 else { throw GatewayError.configuration("EXT_GATEWAY_JWT_SECRET must be at least 32 bytes") }
        let keys = await JWTKeyCollection().add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        return TenantAuthenticator(keys: keys, algorithms: ["": "HS256"], audience: audience, tenantClaim: tenantClaim, now: now)
    }

    /// RS256 / ES256 / EdDSA keys from a JWKS document (`EXT_GATEWAY_JWKS_FILE`). Every key needs a
    /// `kid`; its algorithm is its `alg`, or follows from its type (RSA → RS256, EC P-256 → ES256,
    /// OKP Ed25519 → EdDSA). Symmetric (`oct`) keys are refused here.
    public static func jwks(json: String, audience: String? = nil, tenantClaim: String = "tenant",
                            now: @escaping @Sendable () -> Date = Date.init) async throws -> TenantAuthenticator {
        guard let document = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
            let list = document["keys"] as? [[String: Any]], !list.isEmpty
        else { throw GatewayError.configuration("EXT_GATEWAY_JWKS_FILE is not a JWKS document with keys") }
        var algorithms: [String: String] = [:]
        for key in list {
            guard let kid = key["kid"] as? String, !kid.isEmpty else { throw GatewayError.configuration("every JWKS key needs a kid") }
            let kty = key["kty"] as? String ?? ""
            let implied: String? =
                switch (kty, key["crv"] as? String) {
                case ("RSA", _): "RS256"
                case ("EC", "P-256"): "ES256"
                case ("OKP", "Ed25519"): "EdDSA"
                default: nil
                }
            guard let alg = (key["alg"] as? String) ?? implied, ["RS256", "ES256", "EdDSA"].contains(alg), implied == alg || (kty == "RSA" && alg == "RS256") else {
                throw GatewayError.configuration("JWKS key \(kid): unsupported key type or algorithm (RS256, ES256 P-256, EdDSA Ed25519)")
            }
            algorithms[kid] = alg
        }
        let keys = try await JWTKeyCollection().add(jwksJSON: json)
        return TenantAuthenticator(keys: keys, algorithms: algorithms, audience: audience, tenantClaim: tenantClaim, now: now)
    }

    /// Authenticates the value of an `Authorization` header.
    public func authenticate(authorization: String?) async -> Outcome {
        if let known = remembered(authorization: authorization) { return known }
        guard let token = Self.bearerToken(authorization) else { return .rejected(reason: "missing bearer token") }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerData = DSSEEnvelope.decodeBase64(String(parts[0])).map({ Data($0) }),
            let header = try? JSONSerialization.jsonObject(with: headerData) as? [String: Any], let alg = header["alg"] as? String
        else { return .rejected(reason: "malformed token") }
        let kid = header["kid"] as? String ?? ""
        guard let expected = algorithms[kid] ?? algorithms[""], expected == alg else {
            return .rejected(reason: "algorithm '\(alg.prefix(20))' not accepted for key '\(kid.prefix(40))'")
        }
        let claims: GatewayClaims
        do {
            claims = try await keys.verify(token, as: GatewayClaims.self)
        } catch {
            return .rejected(reason: "signature or claims invalid")
        }
        let current = now()
        guard let exp = claims.exp else { return .rejected(reason: "token has no exp") }
        guard exp > current else { return .rejected(reason: "token expired") }
        if let nbf = claims.nbf, nbf > current { return .rejected(reason: "token not yet valid") }
        if let audience, !claims.audiences.contains(audience) { return .rejected(reason: "wrong audience") }
        guard let tenant = claims.strings[tenantClaim], !tenant.isEmpty else {
            return .rejected(reason: "token has no '\(tenantClaim)' claim")
        }
        guard Self.isTenantIdentifier(tenant) else { return .rejected(reason: "'\(tenantClaim)' claim is not an identifier") }
        let identity = TenantIdentity(tenantID: tenant, userID: claims.strings["sub"])
        verified.store(token, .init(identity: identity, expires: exp, notBefore: claims.nbf))
        return .authenticated(identity)
    }
}

extension TenantAuthenticator {
    /// A tenant id is 1–200 bytes of visible ASCII (no space, no control character): it goes into the
    /// Runner's `x-alga-tenant` header, the execution log and the log line, where a CR or LF from a
    /// claim would start a header or a log line of its own.
    static func isTenantIdentifier(_ tenant: String) -> Bool {
        (1...200).contains(tenant.utf8.count) && tenant.isVisibleASCII
    }

    /// The outcome when it is known without verifying a signature (no bearer token, or a token
    /// verified before, whose time bounds are checked again); nil when `authenticate` must verify.
    public func remembered(authorization: String?) -> Outcome? {
        guard let token = Self.bearerToken(authorization) else { return .rejected(reason: "missing bearer token") }
        guard let known = verified.lookup(token) else { return nil }
        let current = now()
        if known.expires <= current { return .rejected(reason: "token expired") }
        if let notBefore = known.notBefore, notBefore > current { return .rejected(reason: "token not yet valid") }
        return .authenticated(known.identity)
    }

    /// The token of `Bearer <token>` (scheme case-insensitive), or nil.
    static func bearerToken(_ authorization: String?) -> String? {
        guard let authorization, authorization.count > 7, authorization.prefix(7).lowercased() == "bearer " else { return nil }
        return String(authorization.dropFirst(7).trimmingOWS())
    }
}

/// The claims the gateway reads: `exp`, `nbf`, `aud`, and every string claim by name (the tenant
/// claim's name is configuration). Checks of time and audience happen in `TenantAuthenticator`
/// with its injected clock, not here.
struct GatewayClaims: JWTPayload {
    var exp: Date?
    var nbf: Date?
    var audiences: [String]
    var strings: [String: String]

    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        func date(_ name: String) -> Date? {
            (try? container.decode(Double.self, forKey: AnyKey(stringValue: name))).map { Date(timeIntervalSince1970: $0) }
        }
        exp = date("exp")
        nbf = date("nbf")
        if let single = try? container.decode(String.self, forKey: AnyKey(stringValue: "aud")) {
            audiences = [single]
        } else {
            audiences = (try? container.decode([String].self, forKey: AnyKey(stringValue: "aud"))) ?? []
        }
        var strings: [String: String] = [:]
        for key in container.allKeys {
            if let value = try? container.decode(String.self, forKey: key) { strings[key.stringValue] = value }
        }
        self.strings = strings
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: AnyKey.self)
        if let exp { try container.encode(exp.timeIntervalSince1970, forKey: AnyKey(stringValue: "exp")) }
        if let nbf { try container.encode(nbf.timeIntervalSince1970, forKey: AnyKey(stringValue: "nbf")) }
        if !audiences.isEmpty { try container.encode(audiences, forKey: AnyKey(stringValue: "aud")) }
        for (key, value) in strings where !["exp", "nbf", "aud"].contains(key) { try container.encode(value, forKey: AnyKey(stringValue: key)) }
    }

    func verify(using algorithm: some JWTAlgorithm) async throws {}
}

/// The verified-token memo of `TenantAuthenticator`.
final class VerifiedTokens: Sendable {
    struct Entry: Sendable {
        var identity: TenantIdentity
        var expires: Date
        var notBefore: Date?
    }

    private let entries = Mutex<[String: Entry]>([:])
    private let maxEntries = 10_000

    func lookup(_ token: String) -> Entry? { entries.withLock { $0[token] } }

    func store(_ token: String, _ entry: Entry) {
        entries.withLock { entries in
            if entries.count >= maxEntries { entries.removeAll() }
            entries[token] = entry
        }
    }
}
