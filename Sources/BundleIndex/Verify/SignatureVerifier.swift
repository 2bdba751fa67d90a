import Foundation

/// Decides whether a DSSE envelope proves that a bundle is the publisher's signed release.
///
/// Accepts only when: the payload is an in-toto Statement v1 for an extension bundle; one of its
/// subjects carries the bundle's SHA-256; its predicate names the expected publisher, name and
/// version; and at least one signature over the PAE verifies with a trusted key (directly, or a
/// leaf certificate that chains to a trusted root at `time` and allows codeSigning). The algorithm
/// comes from the trusted key; `keyid` only orders the search.
public struct SignatureVerifier: Sendable {
    public let trust: TrustBundle

    public init(trust: TrustBundle) { self.trust = trust }

    /// Checks `envelope` for the bundle `hash` that should be `expected`, with certificates judged at `time`.
    public func verify(envelope: DSSEEnvelope, hash: ContentHash, expected: BundleIdentity, at time: Date) -> SignatureCheck {
        guard envelope.payloadType == DSSEEnvelope.inTotoPayloadType else {
            return .invalid(reason: "payloadType is '\(envelope.payloadType.prefix(60))', expected \(DSSEEnvelope.inTotoPayloadType)")
        }
        guard let payload = DSSEEnvelope.decodeBase64(envelope.payload) else {
            return .invalid(reason: "envelope payload is not base64")
        }
        let statement: InTotoStatement
        do {
            statement = try JSONDecoder().decode(InTotoStatement.self, from: Data(payload))
        } catch {
            return .invalid(reason: "payload is not an in-toto statement")
        }
        if let problem = Self.statementProblem(statement, hash: hash, expected: expected) {
            return .invalid(reason: problem)
        }
        return signatureCheck(envelope, payload: payload, at: time)
    }

    /// The signature layer alone: whether any signature over the envelope's PAE verifies with a
    /// trusted key, whatever the payload says. `verify` adds the statement rules on top.
    public func signatureCheck(_ envelope: DSSEEnvelope, payload: [UInt8], at time: Date) -> SignatureCheck {
        guard !envelope.signatures.isEmpty else { return .invalid(reason: "envelope has no signatures") }
        let message = DSSEEnvelope.pae(payloadType: envelope.payloadType, payload: payload)
        var reasons: [String] = []
        for signature in envelope.signatures {
            switch check(signature, message: message, at: time) {
            case .valid(let signer): return .valid(signer)
            case .invalid(let reason): reasons.append(reason)
            }
        }
        return .invalid(reason: reasons.first ?? "no valid signature")
    }

    /// The distinct key ids of every valid signature, for callers that require several signers.
    public func validSigners(_ envelope: DSSEEnvelope, payload: [UInt8], at time: Date) -> Set<String> {
        let message = DSSEEnvelope.pae(payloadType: envelope.payloadType, payload: payload)
        var signers: Set<String> = []
        for signature in envelope.signatures {
            if case .valid(let signer) = check(signature, message: message, at: time) { signers.insert(signer.keyID) }
        }
        return signers
    }

    /// Why a statement does not describe the expected bundle, or nil when it does.
    static func statementProblem(_ statement: InTotoStatement, hash: ContentHash, expected: BundleIdentity) -> String? {
        guard statement.type == InTotoStatement.statementType else {
            return "statement _type is '\(statement.type.prefix(60))', expected \(InTotoStatement.statementType)"
        }
        guard statement.predicateType == InTotoStatement.bundlePredicateType else {
            return "statement predicateType is '\(statement.predicateType.prefix(60))', expected \(InTotoStatement.bundlePredicateType)"
        }
        guard statement.subjectSHA256.contains(hash.hex) else {
            return "statement digest does not match the bundle's \(hash)"
        }
        let stated = BundleIdentity(publisher: statement.predicate.publisher, name: statement.predicate.name, version: statement.predicate.version)
        guard stated.publisher.lowercased() == expected.publisher.lowercased(), stated.name.lowercased() == expected.name.lowercased() else {
            return "statement is for extension \(stated.publisher).\(stated.name), expected \(expected.publisher).\(expected.name)"
        }
        guard stated.version == expected.version else {
            return "statement is for version \(stated.version), expected \(expected.version)"
        }
        return nil
    }

    private func check(_ signature: DSSEEnvelope.Signature, message: [UInt8], at time: Date) -> SignatureCheck {
        guard let bytes = DSSEEnvelope.decodeBase64(signature.sig), !bytes.isEmpty else {
            return .invalid(reason: "signature is not base64")
        }
        if let chain = signature.certificateChain, !chain.isEmpty {
            return checkCertified(bytes, chain: chain, message: message, at: time)
        }
        // keyid is a hint: try the key it names first, then every other trusted key.
        let ordered = trust.keys.filter { $0.keyID == signature.keyid } + trust.keys.filter { $0.keyID != signature.keyid }
        for key in ordered where key.verify(signature: bytes, message: message) {
            return .valid(.init(keyID: key.keyID, algorithm: key.algorithm))
        }
        return .invalid(reason: trust.keys.isEmpty ? "signature carries no certificate chain and the trust bundle holds no keys" : "signature was not made by a trusted key")
    }

    private func checkCertified(_ bytes: [UInt8], chain: [String], message: [UInt8], at time: Date) -> SignatureCheck {
        guard !trust.roots.isEmpty else { return .invalid(reason: "signature carries a certificate chain but the trust bundle holds no roots") }
        var certificates: [LibCrypto.Certificate] = []
        for (index, text) in chain.enumerated() {
            guard let der = DSSEEnvelope.decodeBase64(text), let certificate = try? LibCrypto.Certificate(der: der, source: "chain[\(index)]") else {
                return .invalid(reason: "certificate chain entry \(index) is not a DER certificate")
            }
            certificates.append(certificate)
        }
        let leaf = certificates[0]
        if let problem = leaf.chainProblem(intermediates: Array(certificates.dropFirst()), roots: trust.roots, at: time) {
            return .invalid(reason: "certificate chain of \(leaf.subject): \(problem)")
        }
        guard leaf.allowsCodeSigning else {
            return .invalid(reason: "certificate \(leaf.subject) does not allow codeSigning")
        }
        guard let key = try? leaf.publicKey() else { return .invalid(reason: "certificate \(leaf.subject) has an unsupported key") }
        guard key.verify(signature: bytes, message: message) else {
            return .invalid(reason: "signature was not made by the key of certificate \(leaf.subject)")
        }
        return .valid(.init(keyID: key.keyID, algorithm: key.algorithm, certificateSubject: leaf.subject))
    }
}
