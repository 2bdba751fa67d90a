import BundleIndex
import Foundation
import NIOCore
import TestSupport
import Testing

@testable import UIServe

@Suite struct HotAssetCacheTests {
    static let hash = ContentHash(parsing: String(repeating: "ab", count: 32))!

    @Test func smallFilesFromMemoryLargeOnesStreamedWithinABudget() async throws {
        try await Fixtures.withTemporaryDirectory { dir in
            let cache = HotAssetCache(maxFileBytes: 1000, maxBytes: 1500)
            for (name, size) in [("a", 800), ("b", 600), ("big", 5000)] {
                try Data(repeating: UInt8(name.utf8.first!), count: size).write(to: URL(fileURLWithPath: dir + "/" + name))
            }
            guard case .buffer(let a) = try await cache.body(hash: Self.hash, path: dir + "/a", size: 800, range: 0...799) else {
                Issue.record("a small file was not served from memory"); return
            }
            #expect(a.readableBytes == 800)
            // Served from memory even after the file is gone.
            try FileManager.default.removeItem(atPath: dir + "/a")
            guard case .buffer(let slice) = try await cache.body(hash: Self.hash, path: dir + "/a", size: 800, range: 10...19) else {
                Issue.record("a cached file was not served from memory"); return
            }
            #expect(slice.readableBytes == 10)
            _ = try await cache.body(hash: Self.hash, path: dir + "/b", size: 600, range: 0...599)
            #expect(cache.heldBytes <= 1500)
            guard case .stream(_, let range) = try await cache.body(hash: Self.hash, path: dir + "/big", size: 5000, range: 100...199) else {
                Issue.record("a large file was held in memory"); return
            }
            #expect(range == 100...199)
            // A file whose size differs from the index is refused, not served short.
            try Data(count: 10).write(to: URL(fileURLWithPath: dir + "/c"))
            await #expect(throws: BundleIndexError.self) { try await cache.body(hash: Self.hash, path: dir + "/c", size: 20, range: 0...19) }
        }
    }

    /// The generation moves when a held file is let go, and only then (the memo's condition for
    /// keeping a body it shares with this cache).
    @Test func theGenerationMovesOnEvictionOnly() async throws {
        try await Fixtures.withTemporaryDirectory { dir in
            let cache = HotAssetCache(maxFileBytes: 1000, maxBytes: 1500)
            for name in ["a", "b"] { try Data(repeating: 1, count: 800).write(to: URL(fileURLWithPath: dir + "/" + name)) }
            let start = cache.generation
            _ = try await cache.body(hash: Self.hash, path: dir + "/a", size: 800, range: 0...799)
            _ = try await cache.body(hash: Self.hash, path: dir + "/a", size: 800, range: 0...9)
            #expect(cache.generation == start, "a file taken in, or read again, lets nothing go")
            _ = try await cache.body(hash: Self.hash, path: dir + "/b", size: 800, range: 0...799)
            #expect(cache.generation != start, "a over the budget was let go")
            #expect(cache.heldBytes == 800)
        }
    }
}
