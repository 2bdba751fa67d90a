import HTTPTypes
import Metrics
import NIOCore
import NIOHTTP1
import NIOHTTPTypesHTTP1

/// Decides `/ext-ui/` answers on the event loop (for `FastPathHandler`): when the bundle is
/// remembered and loaded and the body needs no read (a file held by `HotAssetCache`, a file too
/// large for it, which goes out by `sendfile`, or an error of the route). A plain request answered
/// before with a held file is answered again from `AnswerMemo`. Shared by all connections.
final class ExtUIAnswerer: Sendable {
    let assets: UIAssetResponder
    let metrics: HTTPMetrics
    let writer: ResponseHeadWriter
    let memo = AnswerMemo()
    /// Requests answered here (`/metrics`): with the route's request count, the share of
    /// `/ext-ui/` traffic answered on the event loop.
    let answered: Counter
    /// Of those, the ones answered from the memo.
    let remembered: Counter
    /// Of those, the ones answered from the request's bytes, before NIO's decoder
    /// (`RawRequestHandler`).
    let undecoded: Counter

    init(assets: UIAssetResponder, metrics: HTTPMetrics, writer: ResponseHeadWriter) {
        self.assets = assets
        self.metrics = metrics
        self.writer = writer
        answered = Counter(label: "uiserve_ext_ui_event_loop_answers_total", factory: metrics.factory)
        remembered = Counter(label: "uiserve_ext_ui_memo_answers_total", factory: metrics.factory)
        undecoded = Counter(label: "uiserve_ext_ui_undecoded_answers_total", factory: metrics.factory)
    }

    /// What to write for an answer: the head's bytes, then the body.
    enum Body {
        case none
        case bytes(ByteBuffer)
        /// A file region and its open handle (closed once the region is written).
        case region(FileRegion, NIOFileHandle)
    }

    /// The complete response, or nil to pass the request on.
    func answer(_ head: HTTPRequestHead, allocator: ByteBufferAllocator) -> (ByteBuffer, Body)? {
        guard head.uri.hasPrefix(UIRoutePath.prefix) else { return nil }
        let memoKey = AnswerMemo.key(head)
        // Read before the answer is made, so an entry stored with them is dropped if anything left
        // a cache meanwhile.
        let generations = AnswerMemo.Generations(bundles: assets.resolver.cache.generation, files: assets.hot.generation)
        if let (key, requestIDField) = memoKey, head.version == .http1_1, head.isKeepAlive,
            let answer = fromMemo(key, requestIDField: requestIDField, generations: generations, allocator: allocator) {
            return answer
        }
        guard let (method, fields) = FastPathHandler.converted(head) else { return nil }
        let request = HTTPRequest(method: method, scheme: nil, authority: nil, path: head.uri, headerFields: fields)
        let requestID = RequestIdentifier.from(fields[.requestID])
        guard let answer = assets.answerImmediately(request, requestID: requestID), ResponseHeadWriter.framesItself(answer.response) else { return nil }
        let response = answer.response
        let body: Body
        switch answer.body {
        case nil: body = .none
        case .buffer(let buffer)?: body = .bytes(buffer)
        case .stream(let path, let range)?:
            // Opened before anything is written: a file that is gone (an evicted tree) is
            // left to the async path, which loads the bundle again. No stat(): the index
            // gave the size, and an open handle outlives an eviction that unlinks the file.
            guard let handle = try? NIOFileHandle(_deprecatedPath: path) else { return nil }
            body = .region(FileRegion(fileHandle: handle, readerIndex: Int(range.lowerBound), endIndex: Int(range.upperBound) + 1), handle)
        }
        let contentLength = response.headerFields[.contentLength].flatMap { Int($0) }
        let counters = metrics.counters(path: head.uri, status: response.status.code, countingBytes: contentLength != nil)
        // Replayable: a 200 of a bundle's file with no body (HEAD, an empty file) or the whole file
        // held in memory; a `sendfile` region is opened per answer.
        let replayable: Bool
        switch body {
        case .none: replayable = true
        case .bytes: replayable = answer.isWholeFile
        case .region: replayable = false
        }
        if replayable, let (key, _) = memoKey, response.status == .ok, let registryFreshUntil = answer.registryFreshUntil,
            let (before, after) = writer.split(response, around: .requestID, allocator: allocator) {
            var held: ByteBuffer?
            if case .bytes(let buffer) = body { held = buffer }
            let validUntil = min(ContinuousClock.now + AnswerMemo.revalidateAfter, registryFreshUntil)
            memo.store(AnswerMemo.Entry(body: held, before: before, after: after, validUntil: validUntil, counters: counters, contentLength: contentLength),
                       for: key, madeUnder: generations)
        }
        counters.record(bytes: contentLength)
        answered.increment()
        return (writer.serialize(response, allocator: allocator), body)
    }

    /// The memo's answer to a plain HTTP/1.1 keep-alive request while its entry is valid (see
    /// `AnswerMemo`); nil to take the whole path. For `RawRequestHandler`, which reads the key from
    /// the request's bytes.
    func fromMemo(_ key: AnswerMemo.Key, requestIDField: String?, allocator: ByteBufferAllocator) -> (ByteBuffer, Body)? {
        let generations = AnswerMemo.Generations(bundles: assets.resolver.cache.generation, files: assets.hot.generation)
        return fromMemo(key, requestIDField: requestIDField, generations: generations, allocator: allocator)
    }

    private func fromMemo(_ key: AnswerMemo.Key, requestIDField: String?, generations: AnswerMemo.Generations,
                          allocator: ByteBufferAllocator) -> (ByteBuffer, Body)? {
        guard let entry = memo.lookup(key, generations: generations), ContinuousClock.now < entry.validUntil else { return nil }
        let requestID = RequestIdentifier.from(requestIDField)
        entry.counters.record(bytes: entry.contentLength)
        assets.resolver.cache.countHit()
        answered.increment()
        remembered.increment()
        return (writer.join(entry.before, .requestID, requestID, entry.after, allocator: allocator), entry.body.map { .bytes($0) } ?? .none)
    }
}
