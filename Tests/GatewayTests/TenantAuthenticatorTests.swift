import Foundation
import Gateway
import JWTKit
import Testing

/// The JWT rules: expiry, not-before, audience, wrong keys, `alg: none`, HS/RS confusion, claims.
@Suite struct TenantAuthenticatorTests {
    static let secret = "a-shared-secret-of-at-least-32-bytes!"
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    struct Claims: JWTPayload {
        var tenant: String?
        var sub: String?
        var exp: Double?
        var nbf: Double?
        var aud: String?
        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    static func hsToken(_ claims: Claims, secret: String = secret) async throws -> String {
        try await JWTKeyCollection().add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256).sign(claims)
    }

    static func valid(_ tenant: String? = "t1") -> Claims {
        Claims(tenant: tenant, sub: "user-7", exp: now.timeIntervalSince1970 + 300, nbf: nil, aud: "uiserve")
    }

    static func authenticator(audience: String? = nil) async throws -> TenantAuthenticator {
        try await .hs256(secret: secret, audience: audience, now: { now })
    }

    @Test func acceptsAValidToken() async throws {
        let outcome = try await Self.authenticator(audience: "uiserve").authenticate(authorization: "Bearer " + (try await Self.hsToken(Self.valid())))
        #expect(outcome == .authenticated(TenantIdentity(tenantID: "t1", userID: "user-7")))
        for tenant in ["7f3c2a1e-9b0d-4c5e-8f6a-1b2c3d4e5f60", "acme_corp.eu-1", String(repeating: "t", count: 200)] {
            let outcome = try await Self.authenticator().authenticate(authorization: "Bearer " + (try await Self.hsToken(Self.valid(tenant))))
            #expect(outcome == .authenticated(TenantIdentity(tenantID: tenant, userID: "user-7")))
        }
    }

    @Test func refusals() async throws {
        let auth = try await Self.authenticator(audience: "uiserve")
        var expired = Self.valid()
        expired.exp = Self.now.timeIntervalSince1970 - 1
        var noExp = Self.valid()
        noExp.exp = nil
        var early = Self.valid()
        early.nbf = Self.now.timeIntervalSince1970 + 60
        var otherAudience = Self.valid()
        otherAudience.aud = "someone-else"
        let cases: [(String?, String)] = [
            (nil, "missing bearer token"),
            ("Basic abc", "missing bearer token"),
            ("Bearer not.a.jwt", "malformed token"),
            ("Bearer " + (try await Self.hsToken(expired)), "token expired"),
            ("Bearer " + (try await Self.hsToken(noExp)), "token has no exp"),
            ("Bearer " + (try await Self.hsToken(early)), "token not yet valid"),
            ("Bearer " + (try await Self.hsToken(otherAudience)), "wrong audience"),
            ("Bearer " + (try await Self.hsToken(Self.valid(nil))), "token has no 'tenant' claim"),
            ("Bearer " + (try await Self.hsToken(Self.valid(""))), "token has no 'tenant' claim"),
            // The tenant goes into a Runner header and log lines: no CR/LF, controls, spaces or
            // non-ASCII, at most 200 bytes.
            ("Bearer " + (try await Self.hsToken(Self.valid("t1\r\nx-injected: 1"))), "'tenant' claim is not an identifier"),
            ("Bearer " + (try await Self.hsToken(Self.valid("t1\nlevel=error"))), "'tenant' claim is not an identifier"),
            ("Bearer " + (try await Self.hsToken(Self.valid("t 1"))), "'tenant' claim is not an identifier"),
            ("Bearer " + (try await Self.hsToken(Self.valid("t\u{7F}"))), "'tenant' claim is not an identifier"),
            ("Bearer " + (try await Self.hsToken(Self.valid("tenänt"))), "'tenant' claim is not an identifier"),
            ("Bearer " + (try await Self.hsToken(Self.valid(String(repeating: "t", count: 201)))), "'tenant' claim is not an identifier"),
            ("Bearer " + (try await Self.hsToken(Self.valid(), secret: "another-secret-of-at-least-32-bytes")), "signature or claims invalid"),
        ]
        for (header, reason) in cases {
            #expect(await auth.authenticate(authorization: header) == .rejected(reason: reason), "\(header ?? "nil")")
        }
    }

    @Test func algNoneIsRefused() async throws {
        let header = Data(#"{"alg":"none","typ":"JWT"}"#.utf8).base64URL
        let payload = Data(#"{"tenant":"t1","exp":1900000000}"#.utf8).base64URL
        let outcome = try await Self.authenticator().authenticate(authorization: "Bearer \(header).\(payload).")
        #expect(outcome == .rejected(reason: "algorithm 'none' not accepted for key ''"))
    }

    @Test func hs256TokenAgainstAnAsymmetricKeyIsRefused() async throws {
        // An EdDSA JWKS; the attacker signs HS256 with the public key's text as the HMAC secret.
        let seed = Data((0..<32).map { UInt8($0) })
        let privateKey = try EdDSA.PrivateKey(d: seed.base64URL, curve: .ed25519)
        let jwk = #"{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"k1","x":"\#(privateKey.publicKey.rawRepresentation.base64URL)"}]}"#
        let auth = try await TenantAuthenticator.jwks(json: jwk, now: { Self.now })
        let signer = await JWTKeyCollection().add(eddsa: privateKey, kid: "k1")
        let good = try await signer.sign(Self.valid(), kid: "k1")
        #expect(await auth.authenticate(authorization: "Bearer " + good) == .authenticated(TenantIdentity(tenantID: "t1", userID: "user-7")))
        let forged = try await JWTKeyCollection().add(hmac: HMACKey(from: jwk), digestAlgorithm: .sha256, kid: "k1").sign(Self.valid(), kid: "k1")
        #expect(await auth.authenticate(authorization: "Bearer " + forged) == .rejected(reason: "algorithm 'HS256' not accepted for key 'k1'"))
        let otherKey = try EdDSA.PrivateKey(d: Data(repeating: 9, count: 32).base64URL, curve: .ed25519)
        let wrong = try await JWTKeyCollection().add(eddsa: otherKey, kid: "k1").sign(Self.valid(), kid: "k1")
        #expect(await auth.authenticate(authorization: "Bearer " + wrong) == .rejected(reason: "signature or claims invalid"))
    }

    @Test func configurationIsChecked() async {
        await #expect(throws: GatewayError.self) { try await TenantAuthenticator.hs256(secret: "short") }
        await #expect(throws: GatewayError.self) { try await TenantAuthenticator.jwks(json: #"{"keys":[]}"#) }
        await #expect(throws: GatewayError.self) { try await TenantAuthenticator.jwks(json: #"{"keys":[{"kty":"oct","kid":"a","k":"c2VjcmV0"}]}"#) }
    }
}

extension Data {
    var base64URL: String {
        base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}
