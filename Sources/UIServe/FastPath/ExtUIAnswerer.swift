import HTTPTypes
import Metrics
import NIOCore
import NIOHTTP1
import NIOHTTPTypesHTTP1

/// Decides `/ext-ui/` answers on the event loop (for `FastPathHandler`): when the bundle is
/// remembered and loaded and the body needs no read (a file held by `HotAssetCache`, a file too
/// large for it, which goes out by `sendfile`, or an error of the route). Shared by all connections.
struct ExtUIAnswerer: Sendable {
    let assets: UIAssetResponder
    let metrics: HTTPMetrics
    let writer: ResponseHeadWriter
    /// Requests answered here (`/metrics`): with the route's request count, the share of
    /// `/ext-ui/` traffic answered on the event loop.
    let answered: Counter

    init(assets: UIAssetResponder, metrics: HTTPMetrics, writer: ResponseHeadWriter) {
        self.assets = assets
        self.metrics = metrics
        self.writer = writer
        answered = Counter(label: "uiserve_ext_ui_event_loop_answers_total", factory: metrics.factory)
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
        guard head.uri.hasPrefix(UIRoutePath.prefix), let (method, fields) = FastPathHandler.converted(head) else { return nil }
        let request = HTTPRequest(method: method, scheme: nil, authority: nil, path: head.uri, headerFields: fields)
        let requestID = RequestIdentifier.from(fields[.requestID])
        guard let (response, immediate) = assets.answerImmediately(request, requestID: requestID),
            ResponseHeadWriter.framesItself(response) else { return nil }
        let body: Body
        switch immediate {
        case nil: body = .none
        case .buffer(let buffer)?: body = .bytes(buffer)
        case .stream(let path, let range)?:
            // Opened before anything is written: a file that is gone (an evicted tree) is
            // left to the async path, which loads the bundle again. No stat(): the index
            // gave the size, and an open handle outlives an eviction that unlinks the file.
            guard let handle = try? NIOFileHandle(_deprecatedPath: path) else { return nil }
            body = .region(FileRegion(fileHandle: handle, readerIndex: Int(range.lowerBound), endIndex: Int(range.upperBound) + 1), handle)
        }
        metrics.record(path: head.uri, status: response.status.code, bytes: response.headerFields[.contentLength].flatMap { Int($0) })
        answered.increment()
        return (writer.serialize(response, allocator: allocator), body)
    }
}
