import NIOHTTP1
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
}
