import BundleIndex
import HTTPTypes
import NIOCore
import NIOHTTP1
import Synchronization

/// Serialized heads of `/ext-ui/` answers to plain repeated requests, for `ExtUIAnswerer`.
///
/// Why: browsers and CDNs ask for the same files with the same few headers again and again, and
/// such an answer is a function of the request target, the method, the headers that negotiate it
/// (`Accept-Encoding`, `Accept`, `Sec-Fetch-Dest`) and the bundle; only the request id and `Date`
/// differ. So the route parse, the lookups, the header assembly and the serialization run once per
/// key. Requests with ranges or preconditions, or with a header given twice, are not memoized.
///
/// Safe by construction: a hit is used only while the resolver still returns the pair's bundle
/// (its registry answer fresh, the hash not denied, the bundle loaded) with the same publish time,
/// and the hot cache still holds the body; otherwise the request takes the whole path. The rest of
/// the head follows from the content hash (content-addressed files, index and variants) and the
/// process's configuration. Only heads are held (bodies stay in `HotAssetCache` and its budget);
/// bounded by entry count.
final class AnswerMemo: Sendable {
    struct Key: Hashable, Sendable {
        var target: String
        var isHead: Bool
        var acceptEncoding: String?
        var accept: String?
        var secFetchDest: String?
    }

    struct Entry: Sendable {
        /// The pair as the target names it, for `BundleResolver.remembered`.
        var extensionID: String
        var hash: ContentHash
        /// What of the bundle the head depends on besides its content (`Last-Modified`). Not the
        /// bundle itself: an entry must not keep an evicted bundle's index alive.
        var lastModified: Int64?
        /// The held file (nil for HEAD).
        var file: (path: String, size: Int64)?
        var before: ByteBuffer
        var after: ByteBuffer
        /// The route's request and byte counters for this status, and the bytes to count.
        var counters: HTTPMetrics.Counters
        var contentLength: Int?
    }

    private let entries = Mutex<[Key: Entry]>([:])
    private let maxEntries: Int

    init(maxEntries: Int = 4096) { self.maxEntries = maxEntries }

    func lookup(_ key: Key) -> Entry? { entries.withLock { $0[key] } }

    func store(_ entry: Entry, for key: Key) {
        entries.withLock { entries in
            if entries.count >= maxEntries { entries.removeAll() }
            entries[key] = entry
        }
    }

    /// The key of a GET or HEAD and its `x-request-id`, read straight from NIO's headers; nil when
    /// a range or precondition header is present or a header that matters is given twice.
    static func key(_ head: HTTPRequestHead) -> (Key, requestID: String?)? {
        guard head.method == .GET || head.method == .HEAD else { return nil }
        var key = Key(target: head.uri, isHead: head.method == .HEAD)
        var requestID: String?
        for (name, value) in head.headers {
            switch name.utf8.count {
            case 5 where name.caseInsensitiveEquals("range"): return nil
            case 6 where name.caseInsensitiveEquals("accept"):
                guard key.accept == nil else { return nil }
                key.accept = value
            case 8 where name.caseInsensitiveEquals("if-match") || name.caseInsensitiveEquals("if-range"): return nil
            case 12 where name.caseInsensitiveEquals("x-request-id"):
                guard requestID == nil else { return nil }
                requestID = value
            case 13 where name.caseInsensitiveEquals("if-none-match"): return nil
            case 14 where name.caseInsensitiveEquals("sec-fetch-dest"):
                guard key.secFetchDest == nil else { return nil }
                key.secFetchDest = value
            case 15 where name.caseInsensitiveEquals("accept-encoding"):
                guard key.acceptEncoding == nil else { return nil }
                key.acceptEncoding = value
            case 17 where name.caseInsensitiveEquals("if-modified-since"): return nil
            case 19 where name.caseInsensitiveEquals("if-unmodified-since"): return nil
            default: continue
            }
        }
        return (key, requestID)
    }
}

extension String {
    /// ASCII case-insensitive equality with a lowercase `other` (header names).
    fileprivate func caseInsensitiveEquals(_ other: StaticString) -> Bool {
        guard utf8.count == other.utf8CodeUnitCount else { return false }
        return other.withUTF8Buffer { expected in
            zip(utf8, expected).allSatisfy { byte, lower in (byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte) == lower }
        }
    }
}
