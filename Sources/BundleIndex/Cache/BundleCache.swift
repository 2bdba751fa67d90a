import Foundation
import Logging
import Metrics
import NIOPosix
import Synchronization

/// Produces verified, extracted bundles on disk under the cache root, fast on a hit and exactly once
/// per content hash on a miss, within a byte budget.
///
/// A miss downloads the archive to a temporary file while hashing it, checks the hash against the
/// requested one, verifies the signature envelope against the trust bundle and the registry's
/// identity, extracts `ui/` safely into a staging directory, precompresses, writes the index, and
/// renames the tree into place. Concurrent misses for one hash wait for the first one's result (or
/// failure, remembered briefly); nothing that failed a check is kept. Past the budget, the least
/// recently used unpinned bundles are evicted: moved aside at once, deleted after a grace period, so
/// a response already reading one keeps its file.
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
        /// `EXT_CACHE_MAX_BYTES`: the byte budget of extracted bundles (default 1 GiB).
        public var maxCacheBytes: Int64
        /// How long a failed load is remembered before the store is asked again (default 2 s).
        public var failureTTL: Duration
        /// How long an evicted tree stays on disk for responses already reading it (default 60 s).
        public var evictionGrace: Duration

        public init(root: String, maxBundleBytes: Int64 = 200 << 20, limits: ExtractionPolicy.Limits = .init(),
                    keyTemplate: BundleKeyTemplate, signaturePolicy: SignaturePolicy, maxSignatureBytes: Int = 256 << 10,
                    maxCacheBytes: Int64 = 1 << 30, failureTTL: Duration = .seconds(2), evictionGrace: Duration = .seconds(60)) {
            self.root = root
            self.maxBundleBytes = maxBundleBytes
            self.limits = limits
            self.keyTemplate = keyTemplate
            self.signaturePolicy = signaturePolicy
            self.maxSignatureBytes = maxSignatureBytes
            self.maxCacheBytes = maxCacheBytes
            self.failureTTL = failureTTL
            self.evictionGrace = evictionGrace
        }
    }

    private struct State {
        var loaded: [ContentHash: CachedBundle] = [:]
        var book = LRUBook<ContentHash>()
        var pins: [ContentHash: Int] = [:]
        var waiters: [ContentHash: [CheckedContinuation<CachedBundle, any Error>]] = [:]
        var failures: [ContentHash: (error: any Error, until: ContinuousClock.Instant)] = [:]
        var denylist: Set<ContentHash> = []
        var verifier: SignatureVerifier?
        var trash: [(path: String, deleteAfter: ContinuousClock.Instant)] = []
    }

    public let configuration: Configuration
    private let store: any BundleStore
    private let extractor: SafeExtractor
    private let fetcher: VerifiedFetch
    private let clock: @Sendable () -> Date
    private let logger: Logger
    private let state: Mutex<State>
    /// Bundles taken out of service so far (`generation`).
    private let removals = Atomic<UInt64>(0)
    private let metrics: CacheMetrics
    private let events: EventLog?

    public init(configuration: Configuration, store: any BundleStore, trust: TrustBundle?, denylist: Set<ContentHash> = [],
                mediaTypes: MediaTypes = MediaTypes(), clock: @escaping @Sendable () -> Date = Date.init,
                logger: Logger = Logger(label: "uiserve.cache"), metrics: CacheMetrics = CacheMetrics(factory: MetricsSystem.factory),
                events: EventLog? = nil) throws {
        self.metrics = metrics
        self.events = events
        self.configuration = configuration
        self.store = store
        self.extractor = SafeExtractor(limits: configuration.limits, mediaTypes: mediaTypes)
        self.fetcher = VerifiedFetch(store: store, keyTemplate: configuration.keyTemplate, policy: configuration.signaturePolicy,
                                     maxBundleBytes: configuration.maxBundleBytes, maxSignatureBytes: configuration.maxSignatureBytes,
                                     clock: clock, logger: logger)
        self.clock = clock
        self.logger = logger
        if configuration.signaturePolicy != .off && trust == nil {
            throw BundleIndexError(.configuration, "signature policy '\(configuration.signaturePolicy.rawValue)' needs a trust bundle (SIGNING_TRUST_BUNDLE)")
        }
        var initial = State()
        initial.denylist = denylist
        initial.verifier = trust.map(SignatureVerifier.init)
        self.state = Mutex(initial)
        try Self.prepare(root: configuration.root)
        rescan(trust: trust)
    }

    /// Takes the trees a previous run left (each with a valid index) into the cache and its budget,
    /// then applies the current denylist and trust bundle to them, as a SIGHUP would.
    private func rescan(trust: TrustBundle?) {
        let manager = FileManager.default
        var found: [CachedBundle] = []
        for name in (try? manager.contentsOfDirectory(atPath: configuration.root)) ?? [] where !name.hasPrefix(".") {
            let root = configuration.root + "/" + name
            guard let hash = ContentHash(parsing: name), let index = BundleIndexFile.load(directory: root), index.contentHash == hash else { continue }
            found.append(CachedBundle(contentHash: hash, root: root, index: index))
        }
        let denied: [CachedBundle] = state.withLock { state in
            var denied: [CachedBundle] = []
            for bundle in found {
                if state.denylist.contains(bundle.contentHash) {
                    denied.append(bundle)
                } else {
                    state.loaded[bundle.contentHash] = bundle
                    state.book.insert(bundle.contentHash, bytes: bundle.index.totalBytes)
                }
            }
            return denied
        }
        for bundle in denied { retire(bundle, reason: "denylisted") }
        updateTrust(trust)
        evictIfNeeded()
    }

    var stagingRoot: String { configuration.root + "/.staging" }
    var downloadRoot: String { configuration.root + "/.downloads" }
    var trashRoot: String { configuration.root + "/.trash" }

    /// Checks the cache root (created 0700; refused when others can write it, see `CacheRoot`),
    /// deletes leftovers of interrupted downloads, extractions and evictions, and any tree without
    /// a valid index (never renamed into place by a finished load).
    static func prepare(root: String) throws {
        try CacheRoot.prepare(root)
        for area in [root + "/.staging", root + "/.downloads", root + "/.trash", root + "/.access"] {
            CacheRoot.removeTree(area)
            try CacheRoot.makeDirectory(area)
        }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [] where !name.hasPrefix(".") {
            if ContentHash(parsing: name) == nil || BundleIndexFile.load(directory: root + "/" + name) == nil {
                CacheRoot.removeTree(root + "/" + name)
            }
        }
    }

    /// The bundle if it is already in memory and not denied (no IO, no await, not counted).
    public func cached(_ hash: ContentHash) -> CachedBundle? {
        state.withLock { state in
            guard !state.denylist.contains(hash), let bundle = state.loaded[hash] else { return nil }
            state.book.touch(hash)
            return bundle
        }
    }

    /// `cached(_:)` counted as a cache hit: the synchronous hot path of a server that answers on
    /// its event loop when everything is in memory, and otherwise goes through `bundle(for:)`.
    public func hit(_ hash: ContentHash) -> CachedBundle? {
        guard let bundle = cached(hash) else { return nil }
        metrics.hits.increment()
        return bundle
    }

    /// Counts a hit served from something remembered of a bundle `cached(_:)` returned (an answer
    /// memo), so `uiserve_cache_hits_total` keeps counting every request the cache served.
    public func countHit() { metrics.hits.increment() }

    /// Changes whenever a bundle leaves the cache (evicted, denied or no longer trusted). While it
    /// is unchanged, every bundle `cached(_:)` returned since it was read is still in service: an
    /// answer remembered together with it needs no lookup to stay valid.
    public var generation: UInt64 { removals.load(ordering: .acquiring) }

    /// Bytes of the bundles currently in the cache (their files and variants).
    public var cachedBytes: Int64 { state.withLock { $0.book.totalBytes } }

    /// Whether the store answers (for readiness).
    public func probeStore() async throws { try await store.probe() }

    /// Whether the cache root is writable (for readiness): creates and removes a file in `.staging`.
    public func probeWritable() throws {
        let path = stagingRoot + "/.probe-" + UUID().uuidString
        guard FileManager.default.createFile(atPath: path, contents: Data()) else {
            throw BundleIndexError(.io, "\(configuration.root): not writable")
        }
        unlink(path)
    }

    /// Keeps `hash` from being evicted until `unpin`; pins count.
    public func pin(_ hash: ContentHash) { state.withLock { $0.pins[hash, default: 0] += 1 } }

    public func unpin(_ hash: ContentHash) {
        state.withLock { state in
            let count = (state.pins[hash] ?? 1) - 1
            state.pins[hash] = count > 0 ? count : nil
        }
    }

    /// The verified bundle for a registry record: from memory, from disk, or fetched, verified and
    /// extracted now. Concurrent callers for one hash share a single fetch.
    public func bundle(for record: BundleRecord) async throws -> CachedBundle {
        let hash = record.contentHash
        enum Role { case hit(CachedBundle), failed(any Error), leader, follower }
        let now = ContinuousClock.now
        let role: Role = state.withLock { state in
            if state.denylist.contains(hash) { return .failed(BundleIndexError(.revoked, "\(hash) is on the denylist")) }
            if let bundle = state.loaded[hash] {
                state.book.touch(hash)
                return .hit(bundle)
            }
            if let failure = state.failures[hash], failure.until > now { return .failed(failure.error) }
            if state.waiters[hash] != nil { return .follower }
            state.waiters[hash] = []
            return .leader
        }
        switch role {
        case .hit(let bundle):
            metrics.hits.increment()
            return bundle
        case .failed(let error):
            throw error
        case .follower:
            metrics.hits.increment()
            return try await withCheckedThrowingContinuation { continuation in
                let done: Result<CachedBundle, any Error>? = state.withLock { state in
                    if let bundle = state.loaded[hash] { return .success(bundle) }
                    if state.waiters[hash] == nil {
                        return .failure(state.failures[hash]?.error ?? BundleIndexError(.unavailable, "\(hash): the load this request waited for failed"))
                    }
                    state.waiters[hash]!.append(continuation)
                    return nil
                }
                if let done { continuation.resume(with: done) }
            }
        case .leader:
            metrics.misses.increment()
            let started = ContinuousClock.now
            let result: Result<CachedBundle, any Error>
            do {
                result = .success(try await load(record))
                metrics.loadDuration.recordNanoseconds(Int64((ContinuousClock.now - started) / .nanoseconds(1)))
            } catch {
                metrics.failed(error)
                result = .failure(error)
                recordRefusal(record, error)
            }
            let waiters = state.withLock { state in
                switch result {
                case .success(let bundle):
                    state.loaded[hash] = bundle
                    state.book.insert(hash, bytes: bundle.index.totalBytes)
                    state.failures[hash] = nil
                case .failure(let error):
                    state.failures[hash] = (error, ContinuousClock.now + configuration.failureTTL)
                }
                return state.waiters.removeValue(forKey: hash) ?? []
            }
            for waiter in waiters { waiter.resume(with: result) }
            evictIfNeeded()
            metrics.bytes.record(cachedBytes)
            return try result.get()
        }
    }

    // MARK: eviction, denylist, trust

    /// Evicts least recently used, unpinned bundles until the cache is within its budget, and
    /// deletes evicted trees whose grace period has passed.
    public func evictIfNeeded() {
        let now = ContinuousClock.now
        let (victims, expired): ([CachedBundle], [String]) = state.withLock { state in
            let keys = state.book.victims(budget: configuration.maxCacheBytes, pinned: Set(state.pins.keys))
            let victims = keys.compactMap { key -> CachedBundle? in
                state.book.remove(key)
                return state.loaded.removeValue(forKey: key)
            }
            let expired = state.trash.filter { $0.deleteAfter <= now }.map(\.path)
            state.trash.removeAll { $0.deleteAfter <= now }
            return (victims, expired)
        }
        for bundle in victims { retire(bundle, reason: "evicted (budget)") }
        for path in expired { CacheRoot.removeTree(path) }
    }

    /// Replaces the denylist; cached bundles on it are evicted at once.
    public func updateDenylist(_ hashes: Set<ContentHash>) {
        let victims: [CachedBundle] = state.withLock { state in
            state.denylist = hashes
            return hashes.compactMap { hash in
                state.book.remove(hash)
                return state.loaded.removeValue(forKey: hash)
            }
        }
        for bundle in victims {
            retire(bundle, reason: "denylisted")
            recordRevocation(bundle, reason: "denylisted")
        }
    }

    /// Replaces the trust bundle and re-checks every cached bundle's accepted envelope against it
    /// (judging certificates at the time each was first verified); those no longer trusted are
    /// evicted. Returns how many were evicted.
    @discardableResult
    public func updateTrust(_ trust: TrustBundle?) -> Int {
        let verifier = trust.map(SignatureVerifier.init)
        let (bundles, policy) = state.withLock { state -> ([CachedBundle], SignaturePolicy) in
            state.verifier = verifier
            return (Array(state.loaded.values), configuration.signaturePolicy)
        }
        guard policy != .off else { return 0 }
        var untrusted: [CachedBundle] = []
        for bundle in bundles {
            let index = bundle.index
            guard let envelope = index.envelope else {
                if policy == .required { untrusted.append(bundle) }
                continue
            }
            let at = Date(timeIntervalSince1970: TimeInterval(index.verifiedAt ?? Int64(clock().timeIntervalSince1970)))
            let check = verifier?.verify(envelope: envelope, hash: bundle.contentHash, expected: BundleIdentity(index.manifest), at: at)
            if check?.isValid != true { untrusted.append(bundle) }
        }
        let retired: [CachedBundle] = state.withLock { state in
            untrusted.compactMap { bundle in
                state.book.remove(bundle.contentHash)
                state.failures[bundle.contentHash] = nil
                return state.loaded.removeValue(forKey: bundle.contentHash)
            }
        }
        for bundle in retired {
            retire(bundle, reason: "no longer trusted")
            recordRevocation(bundle, reason: "signature no longer trusted")
        }
        return retired.count
    }

    /// Raises `bundle_refused` when the bundle itself failed a check (not when the store failed).
    private func recordRefusal(_ record: BundleRecord, _ error: any Error) {
        guard let error = error as? BundleIndexError,
            [.hashMismatch, .signatureInvalid, .refusedEntry, .invalidManifest, .invalidBundleLayout, .tooLarge, .archive].contains(error.code)
        else { return }
        events?.record(.init(type: .bundleRefused, extensionReference: record.extensionRecord.id,
                             detail: ["content_hash": record.contentHash.description, "version": record.version, "code": error.code.description,
                                      "reason": String(error.message.prefix(300))]),
                       key: record.contentHash.description)
    }

    /// Raises `signature_revoked` for a cached bundle taken out of service.
    private func recordRevocation(_ bundle: CachedBundle, reason: String) {
        events?.record(.init(type: .signatureRevoked, extensionReference: bundle.index.manifest.qualifiedName,
                             detail: ["content_hash": bundle.contentHash.description, "version": bundle.index.manifest.version, "reason": reason]),
                       key: bundle.contentHash.description)
    }

    /// Moves a bundle's tree aside (so a fresh load can take its place) and schedules its deletion.
    private func retire(_ bundle: CachedBundle, reason: String) {
        // Every removal from `loaded` comes here.
        removals.add(1, ordering: .releasing)
        metrics.evictions.increment()
        metrics.bytes.record(cachedBytes)
        let aside = trashRoot + "/" + bundle.contentHash.hex + "-" + UUID().uuidString
        CacheRoot.unsealTop(bundle.root)
        if rename(bundle.root, aside) == 0 {
            let deleteAfter = ContinuousClock.now + configuration.evictionGrace
            state.withLock { $0.trash.append((aside, deleteAfter)) }
            if configuration.evictionGrace == .zero { evictIfNeeded() }
        }
        logger.info("bundle removed from cache", metadata: ["hash": "\(bundle.contentHash)", "reason": "\(reason)"])
    }

    // MARK: loading

    private func load(_ record: BundleRecord) async throws -> CachedBundle {
        let hash = record.contentHash
        let final = configuration.root + "/" + hash.hex
        if let index = BundleIndexFile.load(directory: final), index.contentHash == hash {
            return CachedBundle(contentHash: hash, root: final, index: index)
        }
        let download = downloadRoot + "/" + UUID().uuidString + ".bundle"
        defer { unlink(download) }
        let started = ContinuousClock.now
        let fetched = try await fetcher.fetch(record, to: download, verifier: state.withLock { $0.verifier })
        let verified = fetched.signature
        let staging = stagingRoot + "/" + hash.hex + "-" + UUID().uuidString
        guard mkdir(staging, 0o700) == 0 else {
            throw BundleIndexError(.io, "\(staging): cannot create (\(String(cString: strerror(errno))))")
        }
        defer { CacheRoot.removeTree(staging) }
        // Extraction and precompression are blocking, CPU-heavy work: they run on NIO's blocking
        // thread pool, never on Swift's cooperative pool (two threads here) that serves requests.
        let extractor = self.extractor
        let verifiedAt = Int64(clock().timeIntervalSince1970)
        let index = try await NIOThreadPool.singleton.runIfActive {
            let extracted = try extractor.extract(archive: download, into: staging + "/ui")
            let files = try Precompressor().addVariants(root: staging, files: extracted.files)
            let index = BundleIndexFile(contentHash: hash, manifest: extracted.manifest, signerKeyID: verified?.keyID, files: files,
                                        publishedAt: record.publishedAt, verifiedAt: verifiedAt, envelope: verified?.envelope)
            try index.write(directory: staging)
            try CacheRoot.seal(contentsOf: staging)
            return index
        }
        if rename(staging, final) != 0 {
            // Another process finished the same bundle first; its tree is as good as ours.
            guard let existing = BundleIndexFile.load(directory: final), existing.contentHash == hash else {
                throw BundleIndexError(.io, "\(final): cannot move the extracted bundle into place (\(String(cString: strerror(errno))))")
            }
            return CachedBundle(contentHash: hash, root: final, index: existing)
        }
        CacheRoot.sealTop(final)
        logger.info("bundle cached", metadata: ["hash": "\(hash)", "files": "\(index.files.count)", "bytes": "\(fetched.object.size)",
                                                 "ms": "\(Int((ContinuousClock.now - started) / .milliseconds(1)))"])
        return CachedBundle(contentHash: hash, root: final, index: index)
    }
}
