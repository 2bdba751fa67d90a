import Testing

@testable import UIServe

/// Ranges, dates, preconditions and content negotiation, with the RFC's own examples and the bugs
/// peers have shipped.
@Suite struct HTTPSemanticsTests {
    // RFC 9110 §14.1.2 examples, for a 10000-byte representation, plus peers' bugs.
    static let rangeCases: [(String, Int64, ByteRange)] = [
        ("bytes=0-499", 10_000, .ranges([0...499])),
        ("bytes=500-999", 10_000, .ranges([500...999])),
        ("bytes=-500", 10_000, .ranges([9_500...9_999])),
        ("bytes=9500-", 10_000, .ranges([9_500...9_999])),
        ("bytes=0-0,-1", 10_000, .ranges([0...0, 9_999...9_999])),
        ("bytes=500-600,601-999", 10_000, .ranges([500...600, 601...999])),
        ("bytes=500-700,601-999", 10_000, .whole),
        // A suffix range is the last N bytes, never the first N.
        ("bytes=-1", 10, .ranges([9...9])),
        // A suffix longer than the representation is all of it.
        ("bytes=-50", 10, .ranges([0...9])),
        // Past the end: 416, never a negative Content-Length.
        ("bytes=20000-30000", 10_000, .unsatisfiable),
        ("bytes=10000-", 10_000, .unsatisfiable),
        ("bytes=-0", 10_000, .unsatisfiable),
        ("bytes=9000-20000", 10_000, .ranges([9_000...9_999])),
        ("bytes=0-", 0, .unsatisfiable),
        // Invalid or foreign: ignored (200 with the whole body).
        ("bytes=5-2", 10_000, .whole),
        ("items=0-5", 10_000, .whole),
        ("bytes=a-5", 10_000, .whole),
        ("bytes=+1-5", 10_000, .whole),
        ("bytes=", 10_000, .whole),
        ("bytes=1-2-3", 10_000, .whole),
        (" Bytes = 0-1 ", 10_000, .ranges([0...1])),
        // Several ranges adding up to more than the file, or very many: the whole body.
        ("bytes=0-7,0-7", 10, .whole),
        ("bytes=" + (0..<20).map { "\($0 * 10)-\($0 * 10 + 1)" }.joined(separator: ","), 10_000, .whole),
        ("bytes=0-1,20000-30000", 10_000, .ranges([0...1])),
    ]

    @Test(arguments: rangeCases)
    func ranges(_ header: String, _ length: Int64, _ expected: ByteRange) {
        #expect(ByteRange.evaluate(header, length: length) == expected)
    }

    @Test func httpDates() {
        #expect(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT") == 784_111_777)
        #expect(HTTPDate.parse("Sunday, 06-Nov-94 08:49:37 GMT") == 784_111_777)
        #expect(HTTPDate.parse("Sun Nov  6 08:49:37 1994") == 784_111_777)
        #expect(HTTPDate.format(784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.format(0) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(HTTPDate.format(1_772_064_000) == "Thu, 26 Feb 2026 00:00:00 GMT")
        #expect(HTTPDate.parse(HTTPDate.format(1_772_064_000)) == 1_772_064_000)
        for bad in ["", "yesterday", "Sun, 06 Nov 1994 08:49:37 PST", "Sun, 32 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 25:49:37 GMT"] {
            #expect(HTTPDate.parse(bad) == nil, "\(bad)")
        }
    }

    static let tag = EntityTag(opaque: "abc")
    static let modified: Int64 = 784_111_777
    static let before = "Sat, 05 Nov 1994 08:49:37 GMT"
    static let same = "Sun, 06 Nov 1994 08:49:37 GMT"
    static let after = "Mon, 07 Nov 1994 08:49:37 GMT"

    static let preconditionCases: [(Preconditions, Preconditions.Outcome)] = [
        (Preconditions(), .proceed(honourRange: true)),
        (Preconditions(ifMatch: "\"abc\""), .proceed(honourRange: true)),
        (Preconditions(ifMatch: "\"x\", \"abc\""), .proceed(honourRange: true)),
        (Preconditions(ifMatch: "*"), .proceed(honourRange: true)),
        (Preconditions(ifMatch: "W/\"abc\""), .preconditionFailed),
        (Preconditions(ifMatch: "\"x\""), .preconditionFailed),
        (Preconditions(ifUnmodifiedSince: before), .preconditionFailed),
        (Preconditions(ifUnmodifiedSince: same), .proceed(honourRange: true)),
        (Preconditions(ifUnmodifiedSince: "garbage"), .proceed(honourRange: true)),
        // If-Match takes precedence over If-Unmodified-Since.
        (Preconditions(ifMatch: "\"abc\"", ifUnmodifiedSince: before), .proceed(honourRange: true)),
        (Preconditions(ifNoneMatch: "\"abc\""), .notModified),
        (Preconditions(ifNoneMatch: "W/\"abc\""), .notModified),
        (Preconditions(ifNoneMatch: "\"x\", W/\"abc\""), .notModified),
        (Preconditions(ifNoneMatch: "\"x\", \"y\""), .proceed(honourRange: true)),
        (Preconditions(ifNoneMatch: "*"), .notModified),
        (Preconditions(ifModifiedSince: same), .notModified),
        (Preconditions(ifModifiedSince: after), .notModified),
        (Preconditions(ifModifiedSince: before), .proceed(honourRange: true)),
        // If-None-Match takes precedence over If-Modified-Since.
        (Preconditions(ifNoneMatch: "\"x\"", ifModifiedSince: after), .proceed(honourRange: true)),
        // 412 is decided before 304.
        (Preconditions(ifMatch: "\"x\"", ifNoneMatch: "\"abc\""), .preconditionFailed),
        (Preconditions(ifRange: "\"abc\""), .proceed(honourRange: true)),
        (Preconditions(ifRange: "W/\"abc\""), .proceed(honourRange: false)),
        (Preconditions(ifRange: "\"x\""), .proceed(honourRange: false)),
        (Preconditions(ifRange: same), .proceed(honourRange: true)),
        (Preconditions(ifRange: after), .proceed(honourRange: false)),
        (Preconditions(ifRange: "nonsense"), .proceed(honourRange: false)),
    ]

    @Test(arguments: preconditionCases)
    func preconditions(_ conditions: Preconditions, _ expected: Preconditions.Outcome) {
        #expect(conditions.evaluate(etag: Self.tag, lastModified: Self.modified) == expected)
    }

    @Test func datesAreIgnoredWithoutALastModified() {
        #expect(Preconditions(ifModifiedSince: Self.after).evaluate(etag: Self.tag, lastModified: nil) == .proceed(honourRange: true))
        #expect(Preconditions(ifUnmodifiedSince: Self.before).evaluate(etag: Self.tag, lastModified: nil) == .proceed(honourRange: true))
    }

    static let negotiationCases: [(String?, Set<String>, String)] = [
        (nil, ["br", "gzip"], "identity"),
        ("br, gzip", ["br", "gzip"], "br"),
        ("gzip, deflate, br, zstd", ["br", "zstd", "gzip"], "br"),
        ("gzip, deflate, br, zstd", ["zstd", "gzip"], "zstd"),
        ("gzip;q=1, br;q=0.5", ["br", "gzip"], "gzip"),
        ("br;q=0, gzip", ["br", "gzip"], "gzip"),
        ("br", ["gzip"], "identity"),
        ("*", ["br", "gzip"], "br"),
        ("*;q=0.5, gzip;q=0.9", ["br", "gzip"], "gzip"),
        ("identity;q=0, gzip;q=0.1", ["gzip"], "gzip"),
        ("identity;q=0", [], "identity"),
        ("*;q=0", ["br"], "identity"),
        ("x-gzip", ["gzip"], "gzip"),
        ("GZIP;Q=0.8", ["gzip"], "gzip"),
        ("", ["br"], "identity"),
        (" , ,br ;q=0.3 , gzip;q=0.2", ["br", "gzip"], "br"),
        ("br;q=0.1, gzip;q=0.5, br;q=0.9", ["br", "gzip"], "br"),
        ("br;level=1;q=0.4, gzip;q=0.3", ["br", "gzip"], "br"),
        ("br;q=0.5, identity", ["br"], "identity"),
        ("zstd;q=0.5, br;q=0.5", ["br", "zstd"], "br"),
        ("brotli, gzipx", ["br", "gzip"], "identity"),
        ("br;q=abc, gzip", ["br", "gzip"], "gzip"),
    ]

    @Test(arguments: negotiationCases)
    func negotiation(_ header: String?, _ available: Set<String>, _ expected: String) {
        #expect(ContentNegotiation.choose(acceptEncoding: header, available: available) == expected)
    }
}
