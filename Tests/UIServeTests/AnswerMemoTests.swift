import NIOCore
import NIOHTTP1
import Prometheus
import Testing

@testable import UIServe

@Suite struct AnswerMemoTests {
    static func head(_ fields: [(String, String)], method: HTTPMethod = .GET) -> HTTPRequestHead {
        HTTPRequestHead(version: .http1_1, method: method, uri: "/ext-ui/a/b/c.js", headers: HTTPHeaders(fields))
    }

    /// Only plain GETs and HEADs get a key: any range or precondition header, in any case, or a
    /// negotiating header given twice, means the whole path.
    @Test(arguments: [
        ([], true), ([("Range", "bytes=0-1")], false), ([("rAnGe", "bytes=0-1")], false), ([("If-Range", "\"x\"")], false),
        ([("If-Match", "*")], false), ([("IF-NONE-MATCH", "\"x\"")], false), ([("If-Modified-Since", "x")], false),
        ([("If-Unmodified-Since", "x")], false), ([("Accept-Encoding", "br"), ("accept-encoding", "gzip")], false),
        ([("Accept", "text/html"), ("Accept", "*/*")], false), ([("Sec-Fetch-Dest", "iframe"), ("sec-fetch-dest", "script")], false),
        ([("X-Request-Id", "a"), ("x-request-id", "b")], false), ([("Host", "h"), ("User-Agent", "u"), ("Cookie", "c")], true),
        ([("Ranges", "x"), ("If-Matching", "x")], true),
    ] as [([(String, String)], Bool)])
    func keyedOnlyWhenPlain(_ fields: [(String, String)], _ keyed: Bool) {
        #expect((AnswerMemo.key(Self.head(fields)) != nil) == keyed, "\(fields)")
    }

    @Test func theKeyHoldsWhatNegotiatesTheAnswer() throws {
        let (key, requestID) = try #require(AnswerMemo.key(Self.head([("ACCEPT-ENCODING", "br, gzip"), ("Accept", "text/html"),
                                                                      ("Sec-Fetch-Dest", "iframe"), ("X-Request-Id", "r-1")])))
        #expect(key == AnswerMemo.Key(target: "/ext-ui/a/b/c.js", isHead: false, acceptEncoding: "br, gzip", accept: "text/html", secFetchDest: "iframe"))
        #expect(requestID == "r-1")
        #expect(AnswerMemo.key(Self.head([], method: .HEAD))?.0.isHead == true)
        #expect(AnswerMemo.key(Self.head([], method: .POST)) == nil)
        #expect(AnswerMemo.key(Self.head([("Accept-Encoding", "br")]))?.0 != AnswerMemo.key(Self.head([("Accept-Encoding", "gzip")]))?.0)
    }

    static func entry(_ body: String) -> AnswerMemo.Entry {
        let allocator = ByteBufferAllocator()
        return AnswerMemo.Entry(body: allocator.buffer(string: body), before: allocator.buffer(string: "a"), after: allocator.buffer(string: "b"),
                                validUntil: .now + .seconds(60), counters: HTTPMetrics(factory: PrometheusMetricsFactory(registry: PrometheusCollectorRegistry())).counters(path: "/ext-ui/", status: 200, countingBytes: true),
                                contentLength: body.utf8.count)
    }

    /// Entries live only while both caches stay at the generations they were made under: a move
    /// of either drops them all at the next lookup, and an entry made before a move is not kept.
    @Test func entriesDoNotOutliveTheirGenerations() throws {
        let memo = AnswerMemo()
        let key = try #require(AnswerMemo.key(Self.head([]))).0
        let other = AnswerMemo.Key(target: "/ext-ui/a/b/d.js", isHead: false)
        let start = AnswerMemo.Generations(bundles: 1, files: 1)
        #expect(memo.lookup(key, generations: start) == nil)
        memo.store(Self.entry("x"), for: key, madeUnder: start)
        memo.store(Self.entry("y"), for: other, madeUnder: start)
        #expect(memo.lookup(key, generations: start)?.body == ByteBufferAllocator().buffer(string: "x"))
        for moved in [AnswerMemo.Generations(bundles: 2, files: 1), AnswerMemo.Generations(bundles: 2, files: 2)] {
            #expect(memo.lookup(key, generations: moved) == nil)
            #expect(memo.lookup(other, generations: moved) == nil, "every entry is dropped, not only the one looked up")
            memo.store(Self.entry("x"), for: key, madeUnder: start)
            #expect(memo.lookup(key, generations: moved) == nil, "made before the move")
            memo.store(Self.entry("x"), for: key, madeUnder: moved)
            #expect(memo.lookup(key, generations: moved) != nil)
        }
    }
}
