import BundleIndex
import Foundation
import TestSupport
import Testing

/// Every algorithm against every way a signature can be wrong, plus certificate chains.
@Suite struct SignatureMatrixTests {
    static let algorithms = ["ed25519", "p256", "rsa3072"]

    static func trust(_ file: String) throws -> TrustBundle {
        try TrustBundle(pem: String(decoding: Fixtures.data("trust/\(file)"), as: UTF8.self), source: file)
    }

    static var demoHash: ContentHash { get throws { try FileDigest.contentHash(ofFileAt: Fixtures.demoBundle) } }

    static func verify(_ envelope: DSSEEnvelope, trust file: String = "keys.pem", hash: ContentHash? = nil,
                       identity: BundleIdentity = Fixtures.demoIdentity, at time: Date = Date()) throws -> SignatureCheck {
        SignatureVerifier(trust: try trust(file)).verify(envelope: envelope, hash: try hash ?? demoHash, expected: identity, at: time)
    }

    static func reason(_ check: SignatureCheck) -> String? {
        if case .invalid(let reason) = check { return reason }
        return nil
    }

    @Test(arguments: algorithms)
    func valid(_ algorithm: String) throws {
        let key = try Fixtures.privateKey(algorithm)
        let envelope = try BundleSigner(key: key).envelope(hash: Self.demoHash, identity: Fixtures.demoIdentity)
        let check = try Self.verify(envelope)
        guard case .valid(let signer) = check else { Issue.record("expected valid, got \(check)"); return }
        #expect(signer.keyID == key.keyID)
    }

    @Test(arguments: algorithms)
    func tamperedPayload(_ algorithm: String) throws {
        var envelope = try BundleSigner(key: Fixtures.privateKey(algorithm)).envelope(hash: Self.demoHash, identity: Fixtures.demoIdentity)
        // Same statement, one added space: still describes the bundle, but not the signed bytes.
        let payload = try envelope.payloadBytes()
        envelope.payload = Data([UInt8(ascii: " ")] + payload).base64EncodedString()
        #expect(Self.reason(try Self.verify(envelope)) == "signature was not made by a trusted key")
    }

    @Test(arguments: algorithms)
    func tamperedBundle(_ algorithm: String) throws {
        let envelope = try BundleSigner(key: Fixtures.privateKey(algorithm)).envelope(hash: Self.demoHash, identity: Fixtures.demoIdentity)
        let tampered = try FileDigest.contentHash(ofFileAt: Fixtures.path("hostile/hash-mismatch.tar.zst"))
        #expect(Self.reason(try Self.verify(envelope, hash: tampered))?.contains("statement digest does not match") == true)
    }

    @Test(arguments: algorithms)
    func untrustedKey(_ algorithm: String) throws {
        let envelope = try BundleSigner(key: Fixtures.privateKey(algorithm)).envelope(hash: Self.demoHash, identity: Fixtures.demoIdentity)
        #expect(Self.reason(try Self.verify(envelope, trust: "untrusted.pem")) == "signature was not made by a trusted key")
        let byUntrusted = try BundleSigner(key: Fixtures.privateKey("untrusted")).envelope(hash: Self.demoHash, identity: Fixtures.demoIdentity)
        #expect(Self.reason(try Self.verify(byUntrusted)) == "signature was not made by a trusted key")
    }

    @Test(arguments: algorithms)
    func statementForAnotherExtension(_ algorithm: String) throws {
        let other = BundleIdentity(publisher: "acme", name: "other", version: "1.0.0")
        let envelope = try BundleSigner(key: Fixtures.privateKey(algorithm)).envelope(hash: Self.demoHash, identity: other)
        #expect(Self.reason(try Self.verify(envelope)) == "statement is for extension acme.other, expected acme.hello")
        let otherPublisher = BundleIdentity(publisher: "evil", name: "hello", version: "1.0.0")
        let second = try BundleSigner(key: Fixtures.privateKey(algorithm)).envelope(hash: Self.demoHash, identity: otherPublisher)
        #expect(Self.reason(try Self.verify(second))?.contains("evil.hello") == true)
    }

    @Test(arguments: algorithms)
    func statementForAnotherVersion(_ algorithm: String) throws {
        let other = BundleIdentity(publisher: "acme", name: "hello", version: "1.0.1")
        let envelope = try BundleSigner(key: Fixtures.privateKey(algorithm)).envelope(hash: Self.demoHash, identity: other)
        #expect(Self.reason(try Self.verify(envelope)) == "statement is for version 1.0.1, expected 1.0.0")
    }

    @Test(arguments: algorithms)
    func lyingKeyID(_ algorithm: String) throws {
        let key = try Fixtures.privateKey(algorithm)
        let liar = try Fixtures.privateKey(algorithm == "ed25519" ? "p256" : "ed25519")
        // A trusted signer with a wrong keyid is still that signer: keyid is only a hint.
        var envelope = try BundleSigner(key: key).envelope(hash: Self.demoHash, identity: Fixtures.demoIdentity)
        envelope.signatures[0].keyid = liar.keyID
        guard case .valid(let signer) = try Self.verify(envelope) else { Issue.record("lying keyid made a valid signature fail"); return }
        #expect(signer.keyID == key.keyID)
        // An untrusted signer that names a trusted key id gains nothing.
        var forged = try BundleSigner(key: Fixtures.privateKey("untrusted")).envelope(hash: Self.demoHash, identity: Fixtures.demoIdentity)
        forged.signatures[0].keyid = key.keyID
        #expect(Self.reason(try Self.verify(forged)) == "signature was not made by a trusted key")
    }

    @Test func caseInsensitivePublisherAndName() throws {
        let shouted = BundleIdentity(publisher: "ACME", name: "Hello", version: "1.0.0")
        let envelope = try BundleSigner(key: Fixtures.privateKey("ed25519")).envelope(hash: Self.demoHash, identity: shouted)
        #expect(try Self.verify(envelope).isValid)
    }

    @Test func wrongPayloadTypeAndEmptySignatures() throws {
        var envelope = try BundleSigner(key: Fixtures.privateKey("ed25519")).envelope(hash: Self.demoHash, identity: Fixtures.demoIdentity)
        envelope.payloadType = "application/json"
        #expect(Self.reason(try Self.verify(envelope))?.contains("payloadType") == true)
        envelope.payloadType = DSSEEnvelope.inTotoPayloadType
        envelope.signatures = []
        #expect(Self.reason(try Self.verify(envelope)) == "envelope has no signatures")
    }

    @Test func keyRotationAddsASecondSignature() throws {
        let old = try BundleSigner(key: Fixtures.privateKey("ed25519")).envelope(hash: Self.demoHash, identity: Fixtures.demoIdentity)
        let both = try BundleSigner(key: Fixtures.privateKey("p256")).adding(to: old, hash: Self.demoHash, identity: Fixtures.demoIdentity, source: "old")
        #expect(both.signatures.count == 2)
        #expect(both.payload == old.payload)
        let onlyNew = try TrustBundle(pem: String(decoding: Fixtures.data("keys/p256.pub.pem"), as: UTF8.self), source: "p256")
        let check = SignatureVerifier(trust: onlyNew).verify(envelope: both, hash: try Self.demoHash, expected: Fixtures.demoIdentity, at: Date())
        #expect(check == .valid(.init(keyID: try Fixtures.privateKey("p256").keyID, algorithm: .ecdsaP256SHA256)))
        #expect(throws: BundleIndexError.self) {
            try BundleSigner(key: Fixtures.privateKey("p256")).adding(to: old, hash: Self.demoHash,
                identity: BundleIdentity(publisher: "acme", name: "hello", version: "2.0.0"), source: "old")
        }
    }

    // MARK: certificate chains

    static func chainEnvelope(_ chainFile: String) throws -> DSSEEnvelope {
        try BundleSigner(key: Fixtures.privateKey("ca-leaf"), chain: Fixtures.certificates("keys/ca/\(chainFile)"))
            .envelope(hash: Self.demoHash, identity: Fixtures.demoIdentity)
    }

    @Test func validChain() throws {
        let check = try Self.verify(Self.chainEnvelope("leaf-chain.pem"), trust: "root.pem")
        guard case .valid(let signer) = check else { Issue.record("expected valid, got \(check)"); return }
        #expect(signer.certificateSubject?.contains("acme code signing") == true)
        #expect(signer.keyID == (try Fixtures.privateKey("ca-leaf").keyID))
    }

    @Test func missingIntermediate() throws {
        let reason = Self.reason(try Self.verify(Self.chainEnvelope("leaf.pem"), trust: "root.pem"))
        #expect(reason?.contains("unable to get local issuer certificate") == true)
    }

    @Test func leafWithoutCodeSigning() throws {
        let reason = Self.reason(try Self.verify(Self.chainEnvelope("leaf-no-codesigning-chain.pem"), trust: "root.pem"))
        #expect(reason?.contains("does not allow codeSigning") == true)
    }

    @Test func expiredLeaf() throws {
        let reason = Self.reason(try Self.verify(Self.chainEnvelope("leaf-expired-chain.pem"), trust: "root.pem"))
        #expect(reason?.contains("certificate has expired") == true)
        // Time is injected: the good chain judged in 2050, after every certificate ended, fails too.
        let later = Date(timeIntervalSince1970: 2_524_608_000)
        #expect(Self.reason(try Self.verify(Self.chainEnvelope("leaf-chain.pem"), trust: "root.pem", at: later))?.contains("expired") == true)
    }

    @Test func notYetValidLeaf() throws {
        let reason = Self.reason(try Self.verify(Self.chainEnvelope("leaf-not-yet-valid-chain.pem"), trust: "root.pem"))
        #expect(reason?.contains("not yet valid") == true)
    }

    @Test func chainAgainstAKeyOnlyTrustBundle() throws {
        let reason = Self.reason(try Self.verify(Self.chainEnvelope("leaf-chain.pem"), trust: "keys.pem"))
        #expect(reason?.contains("holds no roots") == true)
    }

    @Test func trustBundleRefusesPrivateKeys() throws {
        #expect(throws: BundleIndexError.self) {
            try TrustBundle(pem: String(decoding: Fixtures.data("keys/ed25519.pem"), as: UTF8.self), source: "k")
        }
        #expect(throws: BundleIndexError.self) { try TrustBundle(pem: "nothing here", source: "k") }
    }
}
