import BundleIndex
import Foundation
import TestSupport
import Testing

/// The S3 store against SeaweedFS with SigV4 enforced, started by scripts/test on loopback, and
/// against a fault-injecting proxy in front of it.
@Suite(.enabled(if: TestServices.s3 != nil, "needs SeaweedFS: run scripts/test"), .serialized)
struct S3BundleStoreTests {
    static let fast = RetrySchedule(base: .milliseconds(20), cap: .milliseconds(100), maxAttempts: 4)

    static func demoKey() throws -> String { try BundleKeyTemplate().archiveKey(hash: FileDigest.contentHash(ofFileAt: Fixtures.demoBundle)) }

    @Test func putFetchReadWithGoodCredentials() async throws {
        let store = S3BundleStore(location: try TestServices.makeBucket(prefix: "bundles/v1"), retry: Self.fast)
        try await store.probe()
        let key = try Self.demoKey()
        try await store.put(key: key, from: Fixtures.demoBundle)
        try await store.put(key: BundleKeyTemplate.signatureKey(besides: key), from: Fixtures.path("demo/bundle.sig"))
        try await Fixtures.withTemporaryDirectory { dir in
            let fetched = try await store.fetch(key: key, to: dir + "/b", limit: 1 << 30)
            #expect(fetched.hash == (try FileDigest.contentHash(ofFileAt: Fixtures.demoBundle)))
            #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/b")) == (try Fixtures.data("demo/bundle.tar.zst")))
        }
        let sig = try await store.read(key: BundleKeyTemplate.signatureKey(besides: key), limit: 1 << 16)
        #expect(sig.map { Data($0) } == (try Fixtures.data("demo/bundle.sig")))
        await #expect(throws: BundleIndexError.self) { try await store.put(key: key, from: Fixtures.demoBundle) }
        do {
            try await store.put(key: key, from: Fixtures.demoBundle)
        } catch let error as BundleIndexError {
            #expect(error.code == .alreadyExists)
        }
    }

    @Test func multiTenantKeyTemplateAndVirtualHostAddressing() async throws {
        let location = try TestServices.makeBucket()
        let hash = try FileDigest.contentHash(ofFileAt: Fixtures.demoBundle)
        let template = try BundleKeyTemplate("tenants/{tenant}/extensions/{extension}/sha256/{hex}/bundle.tar.zst")
        let key = try template.archiveKey(hash: hash, tenant: "tenant-1", extension: "acme.hello")
        #expect(key == "tenants/tenant-1/extensions/acme.hello/sha256/\(hash.hex)/bundle.tar.zst")
        let pathStyle = S3BundleStore(location: location, retry: Self.fast)
        try await pathStyle.put(key: key, from: Fixtures.demoBundle)
        var virtual = location
        virtual.forcePathStyle = false
        virtual.endpoint = virtual.endpoint.replacingOccurrences(of: "127.0.0.1", with: "localhost")
        #expect(virtual.bucketURL.hasPrefix("http://\(location.bucket).localhost:"))
        try await Fixtures.withTemporaryDirectory { dir in
            let fetched = try await S3BundleStore(location: virtual, retry: Self.fast).fetch(key: key, to: dir + "/b", limit: 1 << 30)
            #expect(fetched.hash == hash)
        }
    }

    @Test func wrongSecretIsForbiddenAndNotRetried() async throws {
        let good = try TestServices.makeBucket()
        try await S3BundleStore(location: good).put(key: "k/x", from: Fixtures.demoBundle)
        let proxy = try TestServices.FaultProxy(upstream: String(good.endpoint.dropFirst("http://".count)), mode: "pass")
        defer { proxy.stop() }
        var bad = good
        bad.secretKey = "wrong-secret"
        bad.endpoint = proxy.endpoint
        do {
            _ = try await Fixtures.withTemporaryDirectory { dir in try await S3BundleStore(location: bad, retry: Self.fast).fetch(key: "k/x", to: dir + "/b", limit: 1 << 30) }
            Issue.record("a wrong secret fetched the object")
        } catch let error as BundleIndexError {
            #expect(error.code == .forbidden)
        }
        #expect(try proxy.requests() == 1)
    }

    @Test func missingObjectIsNotFound() async throws {
        let store = S3BundleStore(location: try TestServices.makeBucket(), retry: Self.fast)
        do {
            _ = try await Fixtures.withTemporaryDirectory { dir in try await store.fetch(key: "sha256/none/bundle.tar.zst", to: dir + "/b", limit: 100) }
            Issue.record("a missing object was fetched")
        } catch let error as BundleIndexError {
            #expect(error.code == .notFound)
        }
        #expect(try await store.read(key: "sha256/none/bundle.sig", limit: 100) == nil)
    }

    /// Measures resident memory, so it runs alone in a child process (`Isolated`).
    @Test func largeObjectWithFlatMemoryAndTheCapMidStream() async throws {
        guard Isolated.isChild else {
            let child = try await Isolated.run(test: "largeObjectWithFlatMemoryAndTheCapMidStream")
            #expect(child.passedOneTest, "the isolated run failed:\n\(child.output)")
            return
        }
        let store = S3BundleStore(location: try TestServices.makeBucket(), retry: Self.fast)
        try await Fixtures.withTemporaryDirectory { dir in
            // 64 MiB of incompressible bytes.
            let source = dir + "/big"
            let made = try Shell.run("/bin/sh", ["-c", "head -c 67108864 /dev/urandom > '\(source)'"])
            #expect(made.status == 0)
            try await store.put(key: "big/object", from: source)
            let before = Self.residentBytes()
            let fetched = try await store.fetch(key: "big/object", to: dir + "/copy", limit: 1 << 30)
            let grew = Self.residentBytes() - before
            #expect(fetched.size == 64 << 20)
            #expect(fetched.hash == (try FileDigest.contentHash(ofFileAt: source)))
            #expect(grew < 24 << 20, "resident memory grew by \(grew) bytes while fetching 64 MiB")
            do {
                _ = try await store.fetch(key: "big/object", to: dir + "/capped", limit: 1 << 20)
                Issue.record("the size cap did not stop the download")
            } catch let error as BundleIndexError {
                #expect(error.code == .tooLarge)
            }
            let written = (try FileManager.default.attributesOfItem(atPath: dir + "/capped")[.size] as? NSNumber)?.intValue ?? 0
            #expect(written <= 1 << 20)
        }
    }

    /// Fetches the demo bundle through a fault proxy in `mode`; returns the proxy's request count.
    static func fetchDemoThroughProxy(mode: String, count: Int) async throws -> Int {
        let location = try TestServices.makeBucket()
        try await S3BundleStore(location: location).put(key: try Self.demoKey(), from: Fixtures.demoBundle)
        let proxy = try TestServices.FaultProxy(upstream: String(location.endpoint.dropFirst("http://".count)), mode: mode, count: count)
        defer { proxy.stop() }
        var proxied = location
        proxied.endpoint = proxy.endpoint
        let fetched = try await Fixtures.withTemporaryDirectory { dir in
            try await S3BundleStore(location: proxied, retry: Self.fast).fetch(key: try Self.demoKey(), to: dir + "/b", limit: 1 << 30)
        }
        #expect(fetched.hash == (try FileDigest.contentHash(ofFileAt: Fixtures.demoBundle)))
        return try proxy.requests()
    }

    @Test func retriesTwo503sThenSucceeds() async throws {
        #expect(try await Self.fetchDemoThroughProxy(mode: "fail", count: 2) == 3)
    }

    @Test func connectionResetMidBodyIsRetried() async throws {
        #expect(try await Self.fetchDemoThroughProxy(mode: "reset", count: 1) == 2)
    }

    @Test func persistentFailureGivesUpWithinTheDeadline() async throws {
        let location = try TestServices.makeBucket()
        let proxy = try TestServices.FaultProxy(upstream: String(location.endpoint.dropFirst("http://".count)), mode: "fail", count: 1000)
        defer { proxy.stop() }
        var proxied = location
        proxied.endpoint = proxy.endpoint
        let started = ContinuousClock.now
        do {
            _ = try await Fixtures.withTemporaryDirectory { dir in
                try await S3BundleStore(location: proxied, retry: RetrySchedule(base: .milliseconds(50), cap: .seconds(1), maxAttempts: 100), deadline: .seconds(1))
                    .fetch(key: "x", to: dir + "/b", limit: 100)
            }
            Issue.record("a failing store succeeded")
        } catch let error as BundleIndexError {
            #expect(error.code == .unavailable)
        }
        // Generous: the suite shares two cores; a store that kept failing would take minutes.
        #expect(ContinuousClock.now - started < .seconds(20))
        #expect(try proxy.requests() > 2)
    }

    @Test func wrongBytesAreAHashMismatchAndNothingIsCached() async throws {
        let location = try TestServices.makeBucket()
        let key = try Self.demoKey()
        try await S3BundleStore(location: location).put(key: key, from: Fixtures.demoBundle)
        try await S3BundleStore(location: location).put(key: BundleKeyTemplate.signatureKey(besides: key), from: Fixtures.path("demo/bundle.sig"))
        let proxy = try TestServices.FaultProxy(upstream: String(location.endpoint.dropFirst("http://".count)), mode: "corrupt")
        defer { proxy.stop() }
        var proxied = location
        proxied.endpoint = proxy.endpoint
        try await Fixtures.withTemporaryDirectory { dir in
            let cache = try BundleCache(configuration: .init(root: dir + "/cache", keyTemplate: BundleKeyTemplate(), signaturePolicy: .required),
                                        store: S3BundleStore(location: proxied, retry: Self.fast), trust: TrustBundle.load(path: Fixtures.path("trust/demo.pem")))
            let hash = try FileDigest.contentHash(ofFileAt: Fixtures.demoBundle)
            let record = BundleRecord(bundleID: "b", extensionRecord: .init(id: "e", publisher: "acme", name: "hello"), versionID: "v", version: "1.0.0",
                                      contentHash: hash, signature: nil, storageKey: nil, sizeBytes: nil)
            do {
                _ = try await cache.bundle(for: record)
                Issue.record("corrupted bytes were accepted")
            } catch let error as BundleIndexError {
                #expect(error.code == .hashMismatch)
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/cache").filter { !$0.hasPrefix(".") }.isEmpty)
        }
    }

    /// VmRSS of this process.
    static func residentBytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return 0 }
        return (Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) * 1024
    }
}
