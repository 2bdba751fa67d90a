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
/// Safe by construction, with no lookup per hit:
/// - An entry is used only while neither cache has let anything go since it was made (their
///   generations are unchanged): the bundle it answers from is still loaded and not denied, and
///   the body it holds is still the hot cache's own buffer. When either generation moves, the next
///   lookup drops every entry, so an entry never keeps a let-go body alive past one request.
/// - An entry expires `revalidateAfter` after it was made, and never outlives the registry answer
///   it rests on (`BundleResolver.remembered`): then one request takes the whole path, which asks
///   the registry again when its answer is stale, and marks the bundle and the file as used in both
///   caches' LRU order.
/// - The rest of the head follows from the content hash (content-addressed files, index and
///   variants) and the process's configuration. Bounded by entry count.
final class AnswerMemo: Sendable {
    struct Key: Hashable, Sendable {
        var target: String
        var isHead: Bool
        var acceptEncoding: String?
        var accept: String?
        var secFetchDest: String?
    }

    /// What the entries' validity rests on besides time: the generations of the bundle cache and
    /// of the hot cache.
    struct Generations: Equatable, Sendable {
        var bundles: UInt64
        var files: UInt64
    }

    struct Entry: Sendable {
        /// The whole file's bytes, shared with the hot cache (nil for HEAD or an empty file).
        var body: ByteBuffer?
        var before: ByteBuffer
        var after: ByteBuffer
        var validUntil: ContinuousClock.Instant
        /// The route's request and byte counters for this status, and the bytes to count.
        var counters: HTTPMetrics.Counters
        var contentLength: Int?
    }

    /// How long an entry answers before one request takes the whole path again.
    static let revalidateAfter = Duration.seconds(1)

    private struct State {
        var entries: [Key: Entry] = [:]
        /// The generations all entries were made under.
        var generations: Generations?
    }

    private let state = Mutex(State())
    private let maxEntries: Int

    init(maxEntries: Int = 4096) { self.maxEntries = maxEntries }

    /// The entry for `key` when the caches are still at `generations`; when they are not, every
    /// entry is dropped.
    func lookup(_ key: Key, generations: Generations) -> Entry? {
        state.withLock { state in
            guard state.generations == generations else {
                state.entries.removeAll()
                state.generations = generations
                return nil
            }
            return state.entries[key]
        }
    }

    /// Keeps `entry`, made while the caches were at `generations` (read before the answer was
    /// made); dropped when they have moved since the last lookup.
    func store(_ entry: Entry, for key: Key, madeUnder generations: Generations) {
        state.withLock { state in
            guard state.generations == generations else { return }
            if state.entries.count >= maxEntries { state.entries.removeAll() }
            state.entries[key] = entry
        }
    }

    /// The key of a GET or HEAD and its `x-request-id`, read straight from NIO's headers; nil when
    /// a range or precondition header is present or a header that matters is given twice.
    static func key(_ head: HTTPRequestHead) -> (Key, requestID: String?)? {
        guard head.method == .GET || head.method == .HEAD else { return nil }
        var key = Key(target: head.uri, isHead: head.method == .HEAD)
        var requestID: String?
        for (name, value) in head.headers {
            guard let field = Field.named(name.utf8) else { continue }
            guard take(field, value: value, into: &key, requestID: &requestID) else { return nil }
        }
        return (key, requestID)
    }

    /// The request fields a memo answer depends on or is refused for: the one list both readers of
    /// a key go by (`key(_:)` on NIO's head, `RequestFraming` on a request's bytes).
    enum Field: String, KnownFieldName {
        case accept, acceptEncoding = "accept-encoding", secFetchDest = "sec-fetch-dest", requestID = "x-request-id"
        case range, ifMatch = "if-match", ifRange = "if-range", ifNoneMatch = "if-none-match", ifModifiedSince = "if-modified-since",
            ifUnmodifiedSince = "if-unmodified-since"
    }

    /// Takes one field's value into `key` or `requestID`; false when the request cannot be answered
    /// from the memo (a range or precondition, or a field that matters given twice).
    static func take(_ field: Field, value: String, into key: inout Key, requestID: inout String?) -> Bool {
        switch field {
        case .range, .ifMatch, .ifRange, .ifNoneMatch, .ifModifiedSince, .ifUnmodifiedSince: return false
        case .accept: return fill(&key.accept, value)
        case .acceptEncoding: return fill(&key.acceptEncoding, value)
        case .secFetchDest: return fill(&key.secFetchDest, value)
        case .requestID: return fill(&requestID, value)
        }
    }

    private static func fill(_ slot: inout String?, _ value: String) -> Bool {
        guard slot == nil else { return false }
        slot = value
        return true
    }
}
