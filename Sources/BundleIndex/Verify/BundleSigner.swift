import Foundation

/// Makes the DSSE envelope for a bundle: the in-toto statement binding its hash to its manifest's
/// identity, signed with a private key (and, optionally, carrying the key's certificate chain).
public struct BundleSigner: Sendable {
    public let key: LibCrypto.Key
    public let chain: [LibCrypto.Certificate]

    public init(key: LibCrypto.Key, chain: [LibCrypto.Certificate] = []) {
        self.key = key
        self.chain = chain
    }

    /// A new envelope with one signature over the statement for (`hash`, `identity`).
    public func envelope(hash: ContentHash, identity: BundleIdentity) throws -> DSSEEnvelope {
        let payload = InTotoStatement(hash: hash, identity: identity).encoded()
        var envelope = DSSEEnvelope(payloadType: DSSEEnvelope.inTotoPayloadType, payload: Data(payload).base64EncodedString(), signatures: [])
        envelope.signatures.append(try signature(payload: payload, payloadType: envelope.payloadType))
        return envelope
    }

    /// `existing` with one more signature (key rotation). The existing payload is signed as is, after
    /// checking that it is the statement for (`hash`, `identity`).
    public func adding(to existing: DSSEEnvelope, hash: ContentHash, identity: BundleIdentity, source: String) throws -> DSSEEnvelope {
        guard existing.payloadType == DSSEEnvelope.inTotoPayloadType else {
            throw BundleIndexError(.invalidEnvelope, "\(source): payloadType is not \(DSSEEnvelope.inTotoPayloadType)")
        }
        let payload = try existing.payloadBytes()
        guard let statement = try? JSONDecoder().decode(InTotoStatement.self, from: Data(payload)) else {
            throw BundleIndexError(.invalidEnvelope, "\(source): payload is not an in-toto statement")
        }
        if let problem = SignatureVerifier.statementProblem(statement, hash: hash, expected: identity) {
            throw BundleIndexError(.invalidEnvelope, "\(source): \(problem)")
        }
        var envelope = existing
        envelope.signatures.append(try signature(payload: payload, payloadType: existing.payloadType))
        return envelope
    }

    private func signature(payload: [UInt8], payloadType: String) throws -> DSSEEnvelope.Signature {
        let sig = try key.sign(DSSEEnvelope.pae(payloadType: payloadType, payload: payload))
        let chainText = chain.isEmpty ? nil : chain.map { Data($0.der).base64EncodedString() }
        return DSSEEnvelope.Signature(keyid: key.keyID, sig: Data(sig).base64EncodedString(), certificateChain: chainText)
    }
}
