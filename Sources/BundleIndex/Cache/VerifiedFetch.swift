import Foundation
import Logging

/// Fetches a published bundle's archive from the store into a local file and proves it before
/// anyone reads it: the bytes hash to the registry's content hash, and the signature envelope (the
/// registry's, else the sidecar) verifies under the signature policy for the registry's identity.
/// The one place that decides what "verified" means, for the cache and for `BundleAccess`.
struct VerifiedFetch: Sendable {
    var store: any BundleStore
    var keyTemplate: BundleKeyTemplate
    var policy: SignaturePolicy
    var maxBundleBytes: Int64
    var maxSignatureBytes: Int
    var clock: @Sendable () -> Date
    var logger: Logger

    /// What a verified fetch produced.
    struct Fetched: Sendable {
        var key: String
        var object: FetchedObject
        /// The accepted envelope and its signer, or nil when the policy did not require one and none was checked.
        var signature: (envelope: DSSEEnvelope, keyID: String)?
    }

    /// The store key of the record's archive: the registry's explicit key, else the template's.
    func archiveKey(_ record: BundleRecord) throws -> String {
        try record.storageKey ?? keyTemplate.archiveKey(hash: record.contentHash, extension: record.extensionRecord.id)
    }

    /// Downloads the archive to `path` and verifies it; on any failure the caller deletes `path`
    /// and nothing of it may be used. A published bundle missing from the store is `unavailable`
    /// (a store problem), not `notFound`.
    func fetch(_ record: BundleRecord, to path: String, verifier: SignatureVerifier?) async throws -> Fetched {
        let hash = record.contentHash
        let key = try archiveKey(record)
        let object: FetchedObject
        do {
            object = try await store.fetch(key: key, to: path, limit: maxBundleBytes)
        } catch let error as BundleIndexError where error.code == .notFound {
            throw BundleIndexError(.unavailable, "\(key): published bundle missing from \(store.label)", cause: error)
        }
        guard object.hash == hash else {
            logger.error("bundle hash mismatch", metadata: ["expected": "\(hash)", "actual": "\(object.hash)", "key": "\(key)"])
            throw BundleIndexError(.hashMismatch, "\(key): bytes hash to \(object.hash), not \(hash)")
        }
        let signature = try await checkSignature(registryEnvelope: record.signature, sidecar: BundleKeyTemplate.signatureKey(besides: key),
                                                 hash: hash, identity: record.identity, verifier: verifier, what: "\(hash)")
        return Fetched(key: key, object: object, signature: signature)
    }

    /// Checks the envelope over `hash`: the registry's when it has one, else the store object
    /// `sidecar` (not read at all under the `off` policy).
    func checkSignature(registryEnvelope: String?, sidecar: String, hash: ContentHash, identity: BundleIdentity, verifier: SignatureVerifier?,
                        what: String) async throws -> (envelope: DSSEEnvelope, keyID: String)? {
        var envelopeBytes: [UInt8]? = registryEnvelope.map { Array($0.utf8) }
        if envelopeBytes == nil && policy != .off {
            envelopeBytes = try await store.read(key: sidecar, limit: maxSignatureBytes)
        }
        return try check(envelopeBytes, hash: hash, identity: identity, verifier: verifier, what: what, sidecar: sidecar)
    }

    /// Checks an envelope over `hash` for `identity` under the policy: `off` checks nothing,
    /// `optional` accepts a missing envelope but never a bad one, `required` needs a good one.
    private func check(_ envelopeBytes: [UInt8]?, hash: ContentHash, identity: BundleIdentity, verifier: SignatureVerifier?,
               what: String, sidecar: String) throws -> (envelope: DSSEEnvelope, keyID: String)? {
        guard policy != .off, let verifier else { return nil }
        guard let envelopeBytes else {
            if policy == .optional { return nil }
            throw BundleIndexError(.signatureInvalid, "\(what): no signature (registry or \(sidecar))")
        }
        let envelope = try DSSEEnvelope.parse(Data(envelopeBytes), source: "signature of \(what)")
        switch verifier.verify(envelope: envelope, hash: hash, expected: identity, at: clock()) {
        case .valid(let signer):
            return (envelope, signer.keyID)
        case .invalid(let reason):
            logger.error("signature refused", metadata: ["what": "\(what)", "reason": "\(reason)"])
            throw BundleIndexError(.signatureInvalid, "\(what): \(reason)")
        }
    }
}
