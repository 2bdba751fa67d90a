import Foundation
import Logging
import Synchronization

/// Produces verified, extracted bundles on disk under the cache root, fast on a hit and exactly once
/// per content hash on a miss.
///
/// A miss downloads the archive to a temporary file while hashing it, checks the hash against the
/// requested one, verifies the signature envelope against the trust bundle and the registry's
/// identity, extracts `ui/` safely into a staging directory, writes the index, and renames the tree
/// into place. Concurrent misses for one hash wait for the first one's result (or failure); nothing
/// that failed a check is ever kept.
public final class BundleCache: Sendable {
    /// Where and how bundles are cached.
    public struct Configuration: Sendable {
        /// `EXT_CACHE_ROOT`: the directory that holds extracted bundles.
        public var root: String
        /// `EXT_BUNDLE_MAX_BYTES`: the largest archive object fetched (default 200 MiB).
        public var maxBundleBytes: Int64
        /// Extraction limits (`EXT_BUNDLE_MAX_ENTRIES`, `EXT_STATIC_MAX_FILE_BYTES`, `EXT_BUNDLE_MAX_EXPANDED_BYTES`).
        public var limits: ExtractionPolicy.Limits
        /// The archive key template (`BUNDLE_KEY_TEMPLATE`).
        public var keyTemplate: BundleKeyTemplate
        public var signaturePolicy: SignaturePolicy
        /// Largest signature envelope read (sidecar or registry).
        public var maxSignatureBytes: Int

        public init(root: String, maxBundleBytes: Int64 = 200 << 20, limits: ExtractionPolicy.Limits = .init(),
                    keyTemplate: BundleKeyTemplate, signaturePolicy: SignaturePolicy, maxSignatureBytes: Int = 256 << 10) {
            self.root = root
            self.maxBundleBytes = maxBundleBytes
            self.limits = limits
            self.keyTemplate = keyTemplate
            self.signaturePolicy = signaturePolicy
            self.maxSignatureBytes = maxSignatureBytes
        }
    }

    private struct State {
        var loaded: [ContentHash: CachedBundle] = [:]
        var waiters: [ContentHash: [CheckedContinuation<CachedBundle, any Error>]] = [:]
    }

    public let configuration: Configuration
    private let store: any BundleStore
    private let verifier: SignatureVerifier?
    private let extractor: SafeExtractor
    private let clock: @Sendable () -> Date
    private let logger: Logger
    private let state = Mutex(State())

    public init(configuration: Configuration, store: any BundleStore, trust: TrustBundle?, mediaTypes: MediaTypes = MediaTypes(),
                clock: @escaping @Sendable () -> Date = Date.init, logger: Logger = Logger(label: "uiserve.cache")) throws {
        self.configuration = configuration
        self.store = store
        self.verifier = trust.map(SignatureVerifier.init)
        self.extractor = SafeExtractor(limits: configuration.limits, mediaTypes: mediaTypes)
        self.clock = clock
        self.logger = logger
        if configuration.signaturePolicy != .off && trust == nil {
            throw BundleIndexError(.configuration, "signature policy '\(configuration.signaturePolicy.rawValue)' needs a trust bundle (SIGNING_TRUST_BUNDLE)")
        }
        try Self.prepare(root: configuration.root)
    }

    /// The staging and download areas inside the cache root.
    var stagingRoot: String { configuration.root + "/.staging" }
    var downloadRoot: String { configuration.root + "/.downloads" }

    /// Creates the cache root (0700) and deletes leftovers of interrupted downloads and extractions.
    static func prepare(root: String) throws {
        let manager = FileManager.default
        try manager.createDirectory(atPath: root, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        for area in [root + "/.staging", root + "/.downloads"] {
            try? manager.removeItem(atPath: area)
            try manager.createDirectory(atPath: area, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        for name in (try? manager.contentsOfDirectory(atPath: root)) ?? [] where !name.hasPrefix(".") {
            // A tree without an index was never renamed into place by us: remove it.
            if ContentHash(parsing: name) == nil || BundleIndexFile.load(directory: root + "/" + name) == nil {
                try? manager.removeItem(atPath: root + "/" + name)
            }
        }
    }

    /// The bundle if it is already in memory (the hot path: no IO, no await).
    public func cached(_ hash: ContentHash) -> CachedBundle? {
        state.withLock { $0.loaded[hash] }
    }

    /// The verified bundle for a registry record: from memory, from disk, or fetched, verified and
    /// extracted now. Concurrent callers for one hash share a single fetch.
    public func bundle(for record: BundleRecord) async throws -> CachedBundle {
        let hash = record.contentHash
        enum Role { case hit(CachedBundle), leader, follower }
        let role: Role = state.withLock { state in
            if let bundle = state.loaded[hash] { return .hit(bundle) }
            if state.waiters[hash] != nil { return .follower }
            state.waiters[hash] = []
            return .leader
        }
        switch role {
        case .hit(let bundle):
            return bundle
        case .follower:
            return try await withCheckedThrowingContinuation { continuation in
                let done: CachedBundle?? = state.withLock { state in
                    if let bundle = state.loaded[hash] { return .some(bundle) }
                    if state.waiters[hash] == nil { return .some(nil) }
                    state.waiters[hash]!.append(continuation)
                    return .none
                }
                switch done {
                case .some(.some(let bundle)): continuation.resume(returning: bundle)
                case .some(.none): continuation.resume(throwing: BundleIndexError(.unavailable, "\(hash): the fetch this request waited for failed"))
                case .none: break
                }
            }
        case .leader:
            let result: Result<CachedBundle, any Error>
            do {
                result = .success(try await load(record))
            } catch {
                result = .failure(error)
            }
            let waiters = state.withLock { state in
                if case .success(let bundle) = result { state.loaded[hash] = bundle }
                return state.waiters.removeValue(forKey: hash) ?? []
            }
            for waiter in waiters { waiter.resume(with: result) }
            return try result.get()
        }
    }

    private func load(_ record: BundleRecord) async throws -> CachedBundle {
        let hash = record.contentHash
        let final = configuration.root + "/" + hash.hex
        if let index = BundleIndexFile.load(directory: final), index.contentHash == hash {
            return CachedBundle(contentHash: hash, root: final, index: index)
        }
        let key = try record.storageKey ?? configuration.keyTemplate.archiveKey(hash: hash, extension: record.extensionRecord.id)
        let download = downloadRoot + "/" + UUID().uuidString + ".bundle"
        defer { unlink(download) }
        let started = ContinuousClock.now
        let fetched: FetchedObject
        do {
            fetched = try await store.fetch(key: key, to: download, limit: configuration.maxBundleBytes)
        } catch let error as BundleIndexError where error.code == .notFound {
            // The registry says it is published; a store without it is a store problem, not a 404.
            throw BundleIndexError(.unavailable, "\(key): published bundle missing from \(store.label)", cause: error)
        }
        guard fetched.hash == hash else {
            logger.error("bundle hash mismatch", metadata: ["expected": "\(hash)", "actual": "\(fetched.hash)", "key": "\(key)"])
            throw BundleIndexError(.hashMismatch, "\(key): bytes hash to \(fetched.hash), not \(hash)")
        }
        let signer = try await checkSignature(record, key: key)
        let staging = stagingRoot + "/" + hash.hex + "-" + UUID().uuidString
        guard mkdir(staging, 0o700) == 0 else {
            throw BundleIndexError(.io, "\(staging): cannot create (\(String(cString: strerror(errno))))")
        }
        defer { try? FileManager.default.removeItem(atPath: staging) }
        let extracted = try extractor.extract(archive: download, into: staging + "/ui")
        let files = try Precompressor().addVariants(root: staging, files: extracted.files)
        let index = BundleIndexFile(contentHash: hash, manifest: extracted.manifest, signerKeyID: signer, files: files, publishedAt: record.publishedAt)
        try index.write(directory: staging)
        if rename(staging, final) != 0 {
            // Another process finished the same bundle first; its tree is as good as ours.
            guard let existing = BundleIndexFile.load(directory: final), existing.contentHash == hash else {
                throw BundleIndexError(.io, "\(final): cannot move the extracted bundle into place (\(String(cString: strerror(errno))))")
            }
            return CachedBundle(contentHash: hash, root: final, index: existing)
        }
        logger.info("bundle cached", metadata: ["hash": "\(hash)", "files": "\(index.files.count)", "bytes": "\(fetched.size)",
                                                 "ms": "\(Int((ContinuousClock.now - started) / .milliseconds(1)))"])
        return CachedBundle(contentHash: hash, root: final, index: index)
    }

    /// Verifies the bundle's envelope (the registry's, else the sidecar) under the signature policy;
    /// returns the signer's key id, or nil when no signature was required and none was checked.
    private func checkSignature(_ record: BundleRecord, key: String) async throws -> String? {
        guard configuration.signaturePolicy != .off, let verifier else { return nil }
        var envelopeBytes: [UInt8]? = record.signature.map { Array($0.utf8) }
        if envelopeBytes == nil {
            envelopeBytes = try await store.read(key: BundleKeyTemplate.signatureKey(besides: key), limit: configuration.maxSignatureBytes)
        }
        guard let envelopeBytes else {
            if configuration.signaturePolicy == .optional { return nil }
            throw BundleIndexError(.signatureInvalid, "\(record.contentHash): no signature (registry or \(BundleKeyTemplate.signatureKey(besides: key)))")
        }
        let envelope = try DSSEEnvelope.parse(Data(envelopeBytes), source: "signature of \(record.contentHash)")
        switch verifier.verify(envelope: envelope, hash: record.contentHash, expected: record.identity, at: clock()) {
        case .valid(let signer):
            return signer.keyID
        case .invalid(let reason):
            logger.error("bundle signature refused", metadata: ["hash": "\(record.contentHash)", "reason": "\(reason)"])
            throw BundleIndexError(.signatureInvalid, "\(record.contentHash): \(reason)")
        }
    }
}
