import BundleIndex
import Foundation
import TestSupport
import Testing

/// The cache root's rules: created 0700, refused when others can write it or another user owns
/// it, and bundle trees sealed read-only (files 0444, directories 0555) yet still evictable.
@Suite struct CacheRootTests {
    static func mode(_ path: String) -> mode_t {
        var info = stat()
        return lstat(path, &info) == 0 ? info.st_mode & 0o7777 : 0
    }

    @Test func createdPrivate() throws {
        try Fixtures.withTemporaryDirectory { dir in
            try CacheRoot.prepare(dir + "/a/b/cache")
            #expect(Self.mode(dir + "/a/b/cache") == 0o700)
            try CacheRoot.prepare(dir + "/a/b/cache")
        }
    }

    @Test(arguments: [0o777, 0o770, 0o702, 0o1777] as [mode_t])
    func refusedWhenOthersCanWrite(_ mode: mode_t) throws {
        try Fixtures.withTemporaryDirectory { dir in
            let root = dir + "/cache"
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: false)
            #expect(chmod(root, mode) == 0)
            let error = #expect(throws: BundleIndexError.self) { try CacheRoot.prepare(root) }
            #expect(error?.code == .configuration)
            #expect(error?.message.contains("writable by others") == true)
        }
    }

    @Test func refusedWhenAnotherUserOwnsItOrItIsASymlink() throws {
        try Fixtures.withTemporaryDirectory { dir in
            try FileManager.default.createDirectory(atPath: dir + "/real", withIntermediateDirectories: false)
            #expect(symlink(dir + "/real", dir + "/link") == 0)
            #expect(throws: BundleIndexError.self) { try CacheRoot.prepare(dir + "/link") }
            try FileManager.default.createDirectory(atPath: dir + "/theirs", withIntermediateDirectories: false)
            chmod(dir + "/theirs", 0o700)
            // Only root can give a directory away; as another user this part proves nothing and is skipped.
            if geteuid() == 0, chown(dir + "/theirs", 65534, 65534) == 0 {
                let error = #expect(throws: BundleIndexError.self) { try CacheRoot.prepare(dir + "/theirs") }
                #expect(error?.message.contains("owned by uid 65534") == true)
            }
        }
    }

    @Test func aCachedTreeIsReadOnlyAndStillEvictable() async throws {
        try await Fixtures.withTemporaryDirectory { dir in
            let (cache, _) = try await BundleCacheTests.setUp(dir) { $0.evictionGrace = .zero }
            #expect(Self.mode(dir + "/cache") == 0o700)
            let bundle = try await cache.bundle(for: BundleCacheTests.demoRecord)
            #expect(Self.mode(bundle.root) == 0o555)
            #expect(Self.mode(bundle.root + "/ui") == 0o555)
            #expect(Self.mode(bundle.root + "/ui/index.html") == 0o444)
            #expect(Self.mode(bundle.root + "/ui/index.html.br") == 0o444 || !FileManager.default.fileExists(atPath: bundle.root + "/ui/index.html.br"))
            let subpaths = try FileManager.default.subpathsOfDirectory(atPath: bundle.root)
            for path in subpaths {
                let mode = Self.mode(bundle.root + "/" + path)
                #expect(mode == 0o444 || mode == 0o555, "\(path): \(String(mode, radix: 8))")
            }
            // Revoked: evicted at once, and the sealed tree is deleted.
            cache.updateDenylist([BundleCacheTests.demoRecord.contentHash])
            cache.evictIfNeeded()
            #expect(!FileManager.default.fileExists(atPath: bundle.root))
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/cache/.trash").isEmpty)
        }
    }
}
