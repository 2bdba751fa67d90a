import BundleIndex
import Foundation
import Synchronization
import TestSupport
import Testing

/// The cache against a counting store: single-flight, hash checks, signature policy, restarts.
@Suite struct BundleCacheTests {
    /// A folder store that counts fetches and can be slowed down, to make concurrent misses overlap.
    final class CountingStore: BundleStore {
        let inner: FolderBundleStore
        let fetches = Mutex(0)
        init(root: String) { inner = FolderBundleStore(root: root) }
        var label: String { "counting " + inner.label }
        func fetch(key: String, to path: String, limit: Int64) async throws -> FetchedObject {
            fetches.withLock { $0 += 1 }
            try await Task.sleep(for: .milliseconds(100))
            return try await inner.fetch(key: key, to: path, limit: limit)
        }
        func read(key: String, limit: Int) async throws -> [UInt8]? { try await inner.read(key: key, limit: limit) }
        func put(key: String, from path: String) async throws { try await inner.put(key: key, from: path) }
        func probe() async throws { try await inner.probe() }
    }

    static let demoRecord: BundleRecord = {
        let hash = try! FileDigest.contentHash(ofFileAt: Fixtures.demoBundle)
        return BundleRecord(bundleID: "b", extensionRecord: ExtensionRecord(id: "e", publisher: "acme", name: "hello"), versionID: "v",
                            version: "1.0.0", contentHash: hash, signature: nil, storageKey: nil, sizeBytes: nil)
    }()

    static func setUp(_ dir: String, archive: String = Fixtures.demoBundle, sig: String? = Fixtures.path("demo/bundle.sig"),
                      policy: SignaturePolicy = .required, configure: (inout BundleCache.Configuration) -> Void = { _ in }) async throws -> (BundleCache, CountingStore) {
        let store = CountingStore(root: dir + "/store")
        try FileManager.default.createDirectory(atPath: store.inner.root, withIntermediateDirectories: true)
        let key = try BundleKeyTemplate().archiveKey(hash: demoRecord.contentHash)
        try await store.put(key: key, from: archive)
        if let sig { try await store.put(key: BundleKeyTemplate.signatureKey(besides: key), from: sig) }
        let trust = try TrustBundle.load(path: Fixtures.path("trust/demo.pem"))
        var configuration = BundleCache.Configuration(root: dir + "/cache", keyTemplate: try BundleKeyTemplate(), signaturePolicy: policy)
        configure(&configuration)
        let cache = try BundleCache(configuration: configuration, store: store, trust: trust)
        return (cache, store)
    }

    @Test func fiftyConcurrentMissesFetchOnce() async throws {
        try await Fixtures.withTemporaryDirectory { dir in
            let (cache, store) = try await Self.setUp(dir)
            let roots = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<50 { group.addTask { try await cache.bundle(for: Self.demoRecord).root } }
                return try await group.reduce(into: Set<String>()) { $0.insert($1) }
            }
            #expect(store.fetches.withLock { $0 } == 1)
            #expect(roots.count == 1)
            #expect(cache.cached(Self.demoRecord.contentHash) != nil)
        }
    }

    @Test func failuresAreSharedAndNotCached() async throws {
        try await Fixtures.withTemporaryDirectory { dir in
            let (cache, store) = try await Self.setUp(dir, archive: Fixtures.path("hostile/hash-mismatch.tar.zst"))
            let outcomes = await withTaskGroup(of: Bool.self) { group in
                for _ in 0..<10 { group.addTask { (try? await cache.bundle(for: Self.demoRecord)) == nil } }
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(outcomes.allSatisfy { $0 })
            #expect(store.fetches.withLock { $0 } == 1)
            #expect(cache.cached(Self.demoRecord.contentHash) == nil)
            let kept = try FileManager.default.contentsOfDirectory(atPath: dir + "/cache").filter { !$0.hasPrefix(".") }
            #expect(kept.isEmpty)
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/cache/.downloads").isEmpty)
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/cache/.staging").isEmpty)
        }
    }

    @Test func hashMismatchIsNamed() async throws {
        try await Fixtures.withTemporaryDirectory { dir in
            let (cache, _) = try await Self.setUp(dir, archive: Fixtures.path("hostile/hash-mismatch.tar.zst"))
            await #expect(throws: BundleIndexError.self) { try await cache.bundle(for: Self.demoRecord) }
            do {
                _ = try await cache.bundle(for: Self.demoRecord)
            } catch let error as BundleIndexError {
                #expect(error.code == .hashMismatch)
            }
        }
    }

    @Test func signaturePolicy() async throws {
        try await Fixtures.withTemporaryDirectory { dir in
            let (unsigned, _) = try await Self.setUp(dir + "/a", sig: nil)
            do {
                _ = try await unsigned.bundle(for: Self.demoRecord)
                Issue.record("an unsigned bundle was accepted under the required policy")
            } catch let error as BundleIndexError {
                #expect(error.code == .signatureInvalid)
            }
            let (optional, _) = try await Self.setUp(dir + "/b", sig: nil, policy: .optional)
            #expect(try await optional.bundle(for: Self.demoRecord).index.signerKeyID == nil)
            let (badOptional, _) = try await Self.setUp(dir + "/c", sig: Fixtures.path("hostile/sig/untrusted-key.sig"), policy: .optional)
            await #expect(throws: BundleIndexError.self) { try await badOptional.bundle(for: Self.demoRecord) }
            let (signed, _) = try await Self.setUp(dir + "/d")
            #expect(try await signed.bundle(for: Self.demoRecord).index.signerKeyID == (try Fixtures.privateKey("ed25519").keyID))
        }
    }

    @Test func registrySignatureWinsOverTheSidecar() async throws {
        try await Fixtures.withTemporaryDirectory { dir in
            let (cache, _) = try await Self.setUp(dir, sig: Fixtures.path("hostile/sig/bad-signature.sig"))
            var record = Self.demoRecord
            record.signature = String(decoding: try Fixtures.data("demo/bundle.sig"), as: UTF8.self)
            #expect(try await cache.bundle(for: record).index.files["index.html"] != nil)
        }
    }

    @Test func restartReusesTheTreeAndDropsLeftovers() async throws {
        try await Fixtures.withTemporaryDirectory { dir in
            let (first, _) = try await Self.setUp(dir)
            _ = try await first.bundle(for: Self.demoRecord)
            // Leftovers of a killed process: a half-made staging tree, a download, and a tree without index.
            try FileManager.default.createDirectory(atPath: dir + "/cache/.staging/x-1/ui", withIntermediateDirectories: true)
            FileManager.default.createFile(atPath: dir + "/cache/.downloads/y.bundle", contents: Data([1, 2, 3]))
            let orphan = dir + "/cache/" + String(repeating: "a", count: 64)
            try FileManager.default.createDirectory(atPath: orphan + "/ui", withIntermediateDirectories: true)
            let store = CountingStore(root: dir + "/store")
            let trust = try TrustBundle.load(path: Fixtures.path("trust/demo.pem"))
            let second = try BundleCache(configuration: .init(root: dir + "/cache", keyTemplate: BundleKeyTemplate(), signaturePolicy: .required), store: store, trust: trust)
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/cache/.staging").isEmpty)
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/cache/.downloads").isEmpty)
            #expect(!FileManager.default.fileExists(atPath: orphan))
            // The previous run's tree is taken in at start: in memory and counted in the budget.
            #expect(second.cached(Self.demoRecord.contentHash) != nil)
            #expect(second.cachedBytes > 0)
            _ = try await second.bundle(for: Self.demoRecord)
            #expect(store.fetches.withLock { $0 } == 0)
            // Restarting with a trust bundle that no longer trusts the signer evicts it at start.
            let distrusting = try BundleCache(configuration: .init(root: dir + "/cache", keyTemplate: BundleKeyTemplate(), signaturePolicy: .required, evictionGrace: .zero),
                                              store: store, trust: TrustBundle.load(path: Fixtures.path("trust/untrusted.pem")))
            #expect(distrusting.cached(Self.demoRecord.contentHash) == nil)
            #expect(!FileManager.default.fileExists(atPath: dir + "/cache/" + Self.demoRecord.contentHash.hex))
        }
    }

    /// Publishes a variant of the demo (another version, so another hash) into the store and
    /// returns its record, signed with the demo key.
    static func variant(_ version: String, store: CountingStore, dir: String) async throws -> BundleRecord {
        let folder = dir + "/src-" + version
        try FileManager.default.copyItem(atPath: Fixtures.path("demo/src"), toPath: folder)
        var manifest = try ExtensionManifest.parse(Data(contentsOf: URL(fileURLWithPath: folder + "/manifest.json")))
        manifest.version = version
        try JSONEncoder().encode(manifest).write(to: URL(fileURLWithPath: folder + "/manifest.json"))
        let archive = dir + "/" + version + ".tar.zst"
        let packed = try BundlePacker().pack(folder: folder, to: archive)
        let identity = BundleIdentity(publisher: "acme", name: "hello", version: version)
        let envelope = try BundleSigner(key: Fixtures.privateKey("ed25519")).envelope(hash: packed.contentHash, identity: identity)
        let key = try BundleKeyTemplate().archiveKey(hash: packed.contentHash)
        try await store.put(key: key, from: archive)
        return BundleRecord(bundleID: version, extensionRecord: demoRecord.extensionRecord, versionID: version, version: version,
                            contentHash: packed.contentHash, signature: String(decoding: envelope.encoded(), as: UTF8.self), storageKey: nil, sizeBytes: nil)
    }

    @Test func evictionKeepsTheBudgetWhileAReaderKeepsReading() async throws {
        try await Fixtures.withTemporaryDirectory { dir in
            // A budget for about one and a half bundles (they all weigh about the same).
            let demoBytes = try SafeExtractor().extract(archive: Fixtures.demoBundle, into: dir + "/probe").files.values.reduce(Int64(0)) { $0 + $1.size } * 13 / 10
            let (cache, store) = try await Self.setUp(dir) { $0.maxCacheBytes = demoBytes * 3 / 2; $0.evictionGrace = .zero }
            let first = try await cache.bundle(for: Self.demoRecord)
            #expect(first.index.totalBytes <= demoBytes)
            let generation = cache.generation
            let reader = try #require(FileHandle(forReadingAtPath: first.filePath("style.css")))
            let head = try reader.read(upToCount: 100)
            var records: [BundleRecord] = []
            for version in ["1.0.1", "1.0.2", "1.0.3"] {
                let record = try await Self.variant(version, store: store, dir: dir)
                records.append(record)
                _ = try await cache.bundle(for: record)
                #expect(cache.cachedBytes <= demoBytes * 3 / 2)
            }
            // The first bundle was evicted and its tree removed, but the open file still reads to the end.
            #expect(cache.cached(Self.demoRecord.contentHash) == nil)
            #expect(cache.generation != generation)
            #expect(!FileManager.default.fileExists(atPath: first.root))
            let rest = try reader.readToEnd() ?? Data()
            #expect((head?.count ?? 0) + rest.count == Int(first.index.files["style.css"]!.size))
            try reader.close()
            // A pinned bundle is never evicted; it comes back on demand after eviction.
            let last = try #require(records.last)
            cache.pin(last.contentHash)
            _ = try await cache.bundle(for: Self.demoRecord)
            _ = try await cache.bundle(for: records[0])
            #expect(cache.cached(last.contentHash) != nil)
            cache.unpin(last.contentHash)
            let again = try await cache.bundle(for: Self.demoRecord)
            #expect(FileManager.default.fileExists(atPath: again.filePath("index.html")))
        }
    }

    @Test func denylistRefusesAndEvicts() async throws {
        try await Fixtures.withTemporaryDirectory { dir in
            let (cache, _) = try await Self.setUp(dir) { $0.evictionGrace = .zero }
            let bundle = try await cache.bundle(for: Self.demoRecord)
            let generation = cache.generation
            cache.updateDenylist([])
            #expect(cache.generation == generation, "nothing left the cache")
            cache.updateDenylist([Self.demoRecord.contentHash])
            #expect(cache.generation != generation, "a denied bundle moves the generation")
            #expect(cache.cached(Self.demoRecord.contentHash) == nil)
            #expect(!FileManager.default.fileExists(atPath: bundle.root))
            do {
                _ = try await cache.bundle(for: Self.demoRecord)
                Issue.record("a denylisted bundle was served")
            } catch let error as BundleIndexError {
                #expect(error.code == .revoked)
            }
            cache.updateDenylist([])
            #expect(try await cache.bundle(for: Self.demoRecord).index.files["index.html"] != nil)
        }
    }

    @Test func trustChangesReCheckCachedBundles() async throws {
        try await Fixtures.withTemporaryDirectory { dir in
            let (cache, _) = try await Self.setUp(dir) { $0.evictionGrace = .zero }
            _ = try await cache.bundle(for: Self.demoRecord)
            // Still trusted: nothing evicted.
            #expect(cache.updateTrust(try TrustBundle.load(path: Fixtures.path("trust/keys.pem"))) == 0)
            #expect(cache.cached(Self.demoRecord.contentHash) != nil)
            // The demo key is no longer trusted: evicted, and refused on the next load.
            #expect(cache.updateTrust(try TrustBundle.load(path: Fixtures.path("trust/untrusted.pem"))) == 1)
            #expect(cache.cached(Self.demoRecord.contentHash) == nil)
            await #expect(throws: BundleIndexError.self) { try await cache.bundle(for: Self.demoRecord) }
        }
    }

    @Test func certificatesAreJudgedAtFirstVerification() async throws {
        try await Fixtures.withTemporaryDirectory { dir in
            // Verified now with a chain whose certificates end in 2043-2045 ...
            let (cache, _) = try await Self.setUp(dir, sig: Fixtures.path("demo/bundle.chain.sig"))
            _ = try await cache.bundle(for: Self.demoRecord)
            // ... a trust reload keeps it, because dates are judged when it was first verified.
            #expect(cache.updateTrust(try TrustBundle.load(path: Fixtures.path("trust/root.pem"))) == 0)
            #expect(cache.cached(Self.demoRecord.contentHash) != nil)
        }
    }
}
