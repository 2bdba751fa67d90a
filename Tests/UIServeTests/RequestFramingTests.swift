import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import UIServe

/// `RequestFraming`: where a request read from raw bytes ends, and whether it is plain. Its
/// length must be the one any RFC 9112 parser finds, and anything it cannot frame strictly is
/// `.unknown` (the HTTP decoder then reads the connection); its key must be the one
/// `AnswerMemo.key` reads from NIO's decoding of the same bytes.
@Suite struct RequestFramingTests {
    static let target = "/ext-ui/acme.hello/sha256-abc/app.js"

    static func scan(_ text: String) -> RequestFraming {
        Array(text.utf8).withUnsafeBytes { RequestFraming.scan($0) }
    }

    static func head(_ lines: [String], requestLine: String = "GET \(target) HTTP/1.1") -> String {
        ([requestLine, "Host: test"] + lines).joined(separator: "\r\n") + "\r\n\r\n"
    }

    /// Heads framed strictly: their whole length, and whether they are plain.
    @Test(arguments: [
        (head([]), true),
        (head(["Accept-Encoding: br, gzip", "Accept: */*", "Sec-Fetch-Dest: script", "X-Request-Id: r-1", "User-Agent: t"]), true),
        (head([], requestLine: "HEAD \(target) HTTP/1.1"), true),
        (head(["Content-Length: 0"]), true),
        (head(["User-Agent: caf\u{E9}"]), true),  // obs-text in a field the memo does not key on
        (head(["Accept:\t*/*\t"]), true),  // OWS around the value, tabs included
        (head([], requestLine: "POST \(target) HTTP/1.1"), false),
        (head([], requestLine: "OPTIONS * HTTP/1.1"), false),
        (head([], requestLine: "GET /healthz HTTP/1.1"), false),
        (head(["Range: bytes=-10"]), false), (head(["if-none-match: \"x\""]), false), (head(["If-Match: *"]), false),
        (head(["If-Range: \"x\""]), false), (head(["If-Modified-Since: x"]), false), (head(["IF-UNMODIFIED-SINCE: x"]), false),
        (head(["Connection: close"]), false), (head(["Connection: keep-alive"]), false), (head(["Expect: 100-continue"]), false),
        (head(["Accept: a", "accept: b"]), false), (head(["Accept-Encoding: br", "Accept-Encoding: gzip"]), false),
        (head(["Sec-Fetch-Dest: iframe", "sec-fetch-dest: iframe"]), false), (head(["X-Request-Id: a", "x-request-id: b"]), false),
        (head(["Accept: text/caf\u{E9}"]), false),  // a keyed value NIO would read differently
        // The Host rule (`HostFieldRule`): none, two, or a bad one, and `FastPathHandler` refuses it.
        ("GET \(target) HTTP/1.1\r\n\r\n", false), (head(["Host: test"]), false), ("GET \(target) HTTP/1.1\r\nHost: a b\r\n\r\n", false),
    ] as [(String, Bool)])
    func framesStrictHeads(_ text: String, _ plain: Bool) throws {
        guard case .request(let length, let found) = Self.scan(text) else { Issue.record("not framed: \(text.debugDescription)"); return }
        #expect(length == text.utf8.count)
        #expect((found != nil) == plain, "\(text.debugDescription)")
    }

    /// Anything a parser could read two ways, or that the decoder treats specially, is not framed
    /// here: the peers' smuggling bugs live in exactly these.
    @Test(arguments: [
        "GET /ext-ui/a HTTP/1.1\nHost: test\n\n",  // bare LF
        "GET /ext-ui/a HTTP/1.1\r\nHost: test\n\r\n",
        "GET /ext-ui/a HTTP/1.1\r\nHost: te\rst\r\n\r\n",  // a CR inside a line
        "GET /ext-ui/a HTTP/1.1\r\nHost: test\r\n folded\r\n\r\n",  // obs-fold
        "GET /ext-ui/a HTTP/1.1\r\nContent-Length : 5\r\n\r\nhello",  // whitespace before the colon
        "GET /ext-ui/a HTTP/1.1\r\n Content-Length: 5\r\n\r\nhello",
        "GET /ext-ui/a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "POST /api/ext/x HTTP/1.1\r\ntransfer-encoding: identity\r\nContent-Length: 3\r\n\r\nabc",
        "POST /api/ext/x HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc",  // twice, even the same
        "POST /api/ext/x HTTP/1.1\r\nContent-Length: 3, 3\r\n\r\nabc",
        "POST /api/ext/x HTTP/1.1\r\nContent-Length: +3\r\n\r\nabc",
        "POST /api/ext/x HTTP/1.1\r\nContent-Length: \r\n\r\n",
        "POST /api/ext/x HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
        "GET /ext-ui/a HTTP/1.1\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n",
        "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com\r\n\r\n",
        "GET /ext-ui/a HTTP/1.0\r\nHost: test\r\n\r\n", "GET /ext-ui/a HTTP/2.0\r\nHost: test\r\n\r\n",
        "GET /ext-ui/a\r\n\r\n",  // no version
        "GET  /ext-ui/a HTTP/1.1\r\n\r\n",  // two spaces: an empty target
        "GET /ext-ui/a  HTTP/1.1\r\n\r\n",
        "\r\nGET /ext-ui/a HTTP/1.1\r\n\r\n",  // an empty line first (the decoder's to skip)
        "G(T /ext-ui/a HTTP/1.1\r\n\r\n",  // a method that is no token
        "GET /ext-ui/caf\u{E9} HTTP/1.1\r\n\r\n",  // a target outside visible ASCII
        "GET /ext-ui/a HTTP/1.1\r\nHost: te\u{0}st\r\n\r\n",  // NUL in a value
        "GET /ext-ui/a HTTP/1.1\r\nHost: te\u{7F}st\r\n\r\n",  // DEL
        "GET /ext-ui/a HTTP/1.1\r\nHo\u{0}st: test\r\n\r\n",
        "GET /ext-ui/a HTTP/1.1\r\n: empty name\r\n\r\n",
        "GET /ext-ui/a HTTP/1.1\r\nno colon\r\n\r\n",
    ])
    func leavesAnythingElseToTheDecoder(_ text: String) {
        #expect(Self.scan(text) == .unknown, "\(text.debugDescription)")
    }

    /// A head not all here yet waits for more bytes, up to the head limit; then it is the decoder's.
    @Test func waitsForTheRestOfAHead() {
        let whole = Self.head(["Accept: */*"])
        for cut in [0, 1, 10, whole.utf8.count - 3, whole.utf8.count - 1] {
            #expect(Self.scan(String(whole.utf8.prefix(cut))!) == .incomplete, "\(cut)")
        }
        let long = "GET /ext-ui/a HTTP/1.1\r\nX-Long: " + String(repeating: "a", count: RequestFraming.maxHeadBytes)
        #expect(Self.scan(long) == .unknown)
        let many = Self.head((0...RequestFraming.maxFields).map { "X-\($0): v" })
        #expect(Self.scan(many) == .unknown)
    }

    /// Pipelined requests: each scan frames only the first, its body included (which may not have
    /// arrived yet: the length says how much is still to come).
    @Test func framesOnlyTheFirstRequest() throws {
        let post = "POST /api/ext/x HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n\r\n"
        #expect(Self.scan(post + "hello" + Self.head([])) == .request(length: post.utf8.count + 5, plain: nil))
        #expect(Self.scan(post + "he") == .request(length: post.utf8.count + 5, plain: nil))
        let get = Self.head([])
        #expect(Self.scan(get + get) == Self.scan(get))
        // A body on a GET is framed, and the request is not plain.
        let withBody = "GET \(Self.target) HTTP/1.1\r\nContent-Length: 2\r\n\r\n"
        #expect(Self.scan(withBody + "ab") == .request(length: withBody.utf8.count + 2, plain: nil))
    }

    /// The key and request id read from the bytes are the ones `AnswerMemo.key` reads from NIO's
    /// decoding of the same bytes, so an entry made on either path answers the other.
    @Test(arguments: [
        [],
        ["Accept-Encoding: br, gzip", "Accept: text/html", "Sec-Fetch-Dest: iframe", "X-Request-Id: r-1"],
        ["ACCEPT-ENCODING:gzip;q=0.5,  br", "sec-fetch-dest:   document  ", "accept: */*;q=0.1", "Cookie: c=1"],
        ["Accept-Encoding: ", "x-request-id: \tspaced\t"],
    ])
    func readsTheKeyNIOReads(_ lines: [String]) throws {
        for method in ["GET", "HEAD"] {
            let text = Self.head(lines, requestLine: "\(method) \(Self.target) HTTP/1.1")
            guard case .request(_, let plain?) = Self.scan(text) else { Issue.record("not plain: \(text.debugDescription)"); continue }
            let decoded = try Self.decode(text)
            let (key, requestID) = try #require(AnswerMemo.key(decoded))
            #expect(plain.key == key, "\(lines)")
            #expect(plain.requestID == requestID, "\(lines)")
        }
    }

    /// NIO's HTTP/1 decoder's head for `text`.
    static func decode(_ text: String) throws -> HTTPRequestHead {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(HTTPRequestDecoder()))
        defer { _ = try? channel.finish() }
        try channel.writeInbound(ByteBuffer(string: text))
        guard case .head(let head)? = try channel.readInbound(as: HTTPServerRequestPart.self) else { throw DecodeFailure() }
        return head
    }

    struct DecodeFailure: Error {}
}
