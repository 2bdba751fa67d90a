import Foundation
import Logging
import NIOPosix

/// Verified access to a published bundle's whole archive, beyond the `ui/` tree the cache serves:
/// the archive's bytes, its listing, any top-level subtree (`dist/`, …) extracted under the same
/// rules as `ui/`, and its precompiled artifacts. Every operation first downloads the archive and
/// proves it (content hash and signature, as the cache does, through `VerifiedFetch`); nothing of
/// an archive that fails is returned or written.
///
/// A bundle is named by its `BundleRecord` (from `Registry.bundleRecord` or `activeBundle`), which
/// carries the identity the signature must name.
public struct BundleAccess: Sendable {
    /// Where downloads go and what is allowed.
    public struct Configuration: Sendable {
        /// A directory for downloads (created 0700); files there live only during a call.
        public var scratch: String
        public var keyTemplate: BundleKeyTemplate
        public var signaturePolicy: SignaturePolicy
        public var maxBundleBytes: Int64
        public var maxSignatureBytes: Int
        /// Extraction limits; `maxFileBytes` also bounds a sidecar precompiled artifact.
        public var limits: ExtractionPolicy.Limits

        public init(scratch: String, keyTemplate: BundleKeyTemplate, signaturePolicy: SignaturePolicy,
                    maxBundleBytes: Int64 = 200 << 20, maxSignatureBytes: Int = 256 << 10, limits: ExtractionPolicy.Limits = .init()) {
            self.scratch = scratch
            self.keyTemplate = keyTemplate
            self.signaturePolicy = signaturePolicy
            self.maxBundleBytes = maxBundleBytes
            self.maxSignatureBytes = maxSignatureBytes
            self.limits = limits
        }

        /// The cache's settings, with downloads in a `.access` directory under its root.
        public init(cache: BundleCache.Configuration) {
            self.init(scratch: cache.root + "/.access", keyTemplate: cache.keyTemplate, signaturePolicy: cache.signaturePolicy,
                      maxBundleBytes: cache.maxBundleBytes, maxSignatureBytes: cache.maxSignatureBytes, limits: cache.limits)
        }
    }

    public let configuration: Configuration
    private let fetcher: VerifiedFetch
    private let verifier: SignatureVerifier?
    private let extractor: SafeExtractor

    public init(configuration: Configuration, store: any BundleStore, trust: TrustBundle?, mediaTypes: MediaTypes = MediaTypes(),
                clock: @escaping @Sendable () -> Date = Date.init, logger: Logger = Logger(label: "uiserve.bundles")) throws {
        if configuration.signaturePolicy != .off && trust == nil {
            throw BundleIndexError(.configuration, "signature policy '\(configuration.signaturePolicy.rawValue)' needs a trust bundle (SIGNING_TRUST_BUNDLE)")
        }
        self.configuration = configuration
        self.verifier = trust.map(SignatureVerifier.init)
        self.extractor = SafeExtractor(limits: configuration.limits, mediaTypes: mediaTypes)
        self.fetcher = VerifiedFetch(store: store, keyTemplate: configuration.keyTemplate, policy: configuration.signaturePolicy,
                                     maxBundleBytes: configuration.maxBundleBytes, maxSignatureBytes: configuration.maxSignatureBytes,
                                     clock: clock, logger: logger)
        try CacheRoot.makeDirectory(configuration.scratch)
    }

    /// The archive's verified bytes, streamed in chunks (from a verified local copy).
    public func bundleStream(_ record: BundleRecord, chunkSize: Int = 64 << 10) async throws -> VerifiedBundleStream {
        let (path, fetched) = try await download(record)
        do {
            return try VerifiedBundleStream(takingOwnershipOf: path, size: fetched.object.size, chunkSize: chunkSize)
        } catch {
            unlink(path)
            throw error
        }
    }

    /// The manifest and every entry of the verified archive (path, type, declared size).
    public func bundleIndex(_ record: BundleRecord) async throws -> BundleContents {
        let (path, fetched) = try await download(record)
        defer { unlink(path) }
        let inspection = try await NIOThreadPool.singleton.runIfActive { try BundleInspection.inspect(path: path) }
        let manifest = try inspection.manifest.get()
        return BundleContents(contentHash: record.contentHash.description, manifest: manifest, signerKeyID: fetched.signature?.keyID,
                              entries: inspection.entries.map { .init(path: $0.displayPath, type: $0.kind.name, size: $0.declaredSize) })
    }

    /// Extracts the top-level `prefix` (`ui/`, `dist/`, …) of the verified archive into
    /// `destination` (created; must not exist), refusing the whole bundle on any hostile entry
    /// exactly as the cache does for `ui/`.
    public func extractSubtree(_ record: BundleRecord, prefix: String, into destination: String) async throws -> SafeExtractor.Result {
        let prefix = try Self.checkedPrefix(prefix)
        let (path, _) = try await download(record)
        defer { unlink(path) }
        let extractor = self.extractor
        return try await NIOThreadPool.singleton.runIfActive { try extractor.extract(archive: path, prefix: prefix, into: destination) }
    }

    /// Resolves `precompiled/<target>.cwasm`: inside the verified archive first, else the sidecar
    /// object beside the archive (which needs its own signature envelope under the policy, since
    /// the bundle's signature does not cover it). Writes the artifact to `destination` (must not
    /// exist); nil when there is none.
    public func precompiledArtifact(_ record: BundleRecord, target: String, into destination: String) async throws -> PrecompiledArtifact? {
        guard Self.isSafeName(target) else {
            throw BundleIndexError(.configuration, "precompiled target '\(target.prefix(80))' must be 1-100 of letters, digits, '.', '_', '-'")
        }
        let name = target + ".cwasm"
        let (path, fetched) = try await download(record)
        defer { unlink(path) }
        let extracted = scratchPath(".precompiled")
        defer { CacheRoot.removeTree(extracted) }
        let extractor = self.extractor
        let result = try await NIOThreadPool.singleton.runIfActive {
            try extractor.extract(archive: path, prefix: "precompiled/", into: extracted, requirePrefix: false)
        }
        if let file = result.files[name] {
            try Self.move(extracted + "/" + name, to: destination)
            return PrecompiledArtifact(source: .bundle, path: destination, sha256: file.sha256, size: file.size)
        }
        guard let slash = fetched.key.lastIndex(of: "/") else { return nil }
        let key = fetched.key[...slash] + "precompiled/" + name
        let download = scratchPath(".cwasm")
        defer { unlink(download) }
        let object: FetchedObject
        do {
            object = try await fetcher.store.fetch(key: key, to: download, limit: configuration.limits.maxFileBytes)
        } catch let error as BundleIndexError where error.code == .notFound {
            return nil
        }
        _ = try await fetcher.checkSignature(registryEnvelope: nil, sidecar: key + ".sig", hash: object.hash, identity: record.identity,
                                             verifier: verifier, what: key)
        try Self.move(download, to: destination)
        return PrecompiledArtifact(source: .sidecar(key: key), path: destination, sha256: object.hash.hex, size: object.size)
    }

    // MARK: helpers

    /// Downloads and verifies the archive into the scratch directory; the caller unlinks the path.
    private func download(_ record: BundleRecord) async throws -> (String, VerifiedFetch.Fetched) {
        let path = scratchPath(".bundle")
        do {
            return (path, try await fetcher.fetch(record, to: path, verifier: verifier))
        } catch {
            unlink(path)
            throw error
        }
    }

    private func scratchPath(_ suffix: String) -> String { configuration.scratch + "/" + UUID().uuidString + suffix }

    /// `dist`, `dist/` → `dist/`; refuses anything but one safe top-level segment.
    public static func checkedPrefix(_ prefix: String) throws -> String {
        let name = prefix.hasSuffix("/") ? String(prefix.dropLast()) : prefix
        guard isSafeName(name) else {
            throw BundleIndexError(.configuration, "prefix '\(prefix.prefix(80))' must be one top-level directory such as 'dist/'")
        }
        return name + "/"
    }

    /// 1-100 of ASCII letters, digits, `.`, `_`, `-`; not `.` or `..`.
    static func isSafeName(_ text: String) -> Bool {
        (1...100).contains(text.utf8.count) && text != "." && text != ".."
            && text.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7a) || $0 == 0x2e || $0 == 0x5f || $0 == 0x2d }
    }

    /// Moves a finished file to the caller's destination, never replacing one.
    static func move(_ source: String, to destination: String) throws {
        guard !FileManager.default.fileExists(atPath: destination) else {
            throw BundleIndexError(.alreadyExists, "\(destination): already exists")
        }
        do {
            try FileManager.default.moveItem(atPath: source, toPath: destination)
        } catch {
            throw BundleIndexError(.io, "\(destination): cannot write (\(error.localizedDescription))", cause: error)
        }
    }
}
