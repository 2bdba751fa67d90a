import BundleIndex
import Testing

@Suite struct LRUBookTests {
    @Test func evictsLeastRecentlyUsedFirstUntilUnderBudget() {
        var book = LRUBook<String>()
        book.insert("a", bytes: 10)
        book.insert("b", bytes: 20)
        book.insert("c", bytes: 30)
        #expect(book.totalBytes == 60)
        #expect(book.victims(budget: 60, pinned: []) == [])
        #expect(book.victims(budget: 50, pinned: []) == ["a"])
        #expect(book.victims(budget: 35, pinned: []) == ["a", "b"])
        book.touch("a")
        #expect(book.victims(budget: 50, pinned: []) == ["b"])
        #expect(book.victims(budget: 50, pinned: ["b"]) == ["c"])
        #expect(book.victims(budget: 0, pinned: ["a", "b", "c"]) == [])
    }

    @Test func reinsertUpdatesWeightAndRemoveForgets() {
        var book = LRUBook<String>()
        book.insert("a", bytes: 10)
        book.insert("a", bytes: 15)
        #expect(book.totalBytes == 15)
        #expect(book.count == 1)
        book.remove("a")
        book.remove("missing")
        #expect(book.totalBytes == 0)
        #expect(!book.contains("a"))
    }
}

@Suite struct DenylistTests {
    @Test func parsesEveryFormAndComments() throws {
        let hex = String(repeating: "ab", count: 32)
        let text = "# revoked bundles\n\nsha256:\(hex)  # leaked key\n\(String(repeating: "CD", count: 32))\n"
        let hashes = try Denylist.parse(text, source: "deny")
        #expect(hashes == [try ContentHash.parse(hex), try ContentHash.parse(String(repeating: "cd", count: 32))])
    }

    @Test func aBadLineIsNamed() {
        #expect(throws: BundleIndexError.self) { try Denylist.parse("sha256:abc\n", source: "deny") }
        do {
            _ = try Denylist.parse("\n\nnot-a-hash\n", source: "deny")
        } catch let error as BundleIndexError {
            #expect(error.message.hasPrefix("deny:3:"))
        } catch {}
    }
}
