import Testing

@testable import UIServe

@Suite struct EntityTagTests {
    static let strong = EntityTag(opaque: "abc")

    @Test func parsesLists() {
        #expect(EntityTag.parseList("*") == .any)
        #expect(EntityTag.parseList(" \"abc\" ") == .tags([EntityTag(opaque: "abc")]))
        #expect(EntityTag.parseList("\"a\", W/\"b\",\"c\"") == .tags([EntityTag(opaque: "a"), EntityTag(opaque: "b", isWeak: true), EntityTag(opaque: "c")]))
        #expect(EntityTag.parseList("\"a,b\"") == .tags([EntityTag(opaque: "a,b")]))
        #expect(EntityTag.parseList("abc") == .malformed)
        #expect(EntityTag.parseList("\"abc") == .malformed)
        #expect(EntityTag.parseList("\"a\" \"b\"") == .malformed)
        #expect(EntityTag.parseList("") == .malformed)
    }

    // RFC 9110 §8.8.3.2's table.
    @Test func comparisons() {
        let w1 = EntityTag(opaque: "1", isWeak: true), w2 = EntityTag(opaque: "2", isWeak: true), s1 = EntityTag(opaque: "1")
        #expect(!w1.strongMatches(w1))
        #expect(w1.weakMatches(w1))
        #expect(!w1.strongMatches(w2) && !w1.weakMatches(w2))
        #expect(!w1.strongMatches(s1) && w1.weakMatches(s1))
        #expect(s1.strongMatches(s1) && s1.weakMatches(s1))
    }

    @Test func fileTagsDifferPerEncoding() {
        let sha = String(repeating: "ab", count: 32)
        #expect(EntityTag.forFile(sha256: sha).description == "\"\(String(sha.prefix(32)))\"")
        #expect(EntityTag.forFile(sha256: sha, encoding: "br") != EntityTag.forFile(sha256: sha))
    }

    @Test func noneMatchUsesWeakComparisonOverTheWholeList() {
        #expect(Preconditions(ifNoneMatch: "\"x\", W/\"abc\"").evaluate(etag: Self.strong, lastModified: nil) == .notModified)
        #expect(Preconditions(ifNoneMatch: "\"x\", \"y\"").evaluate(etag: Self.strong, lastModified: nil) == .proceed(honourRange: true))
        #expect(Preconditions(ifNoneMatch: "garbage").evaluate(etag: Self.strong, lastModified: nil) == .proceed(honourRange: true))
    }
}
