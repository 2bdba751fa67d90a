import Metrics
import Synchronization

/// Request metrics by route template and status, and response bytes, for `/metrics`. Counters are
/// made once per label set and reused: making one per request would cost a factory lookup each time.
final class HTTPMetrics: Sendable {
    private struct Key: Hashable {
        var route: String
        var status: Int
    }

    let factory: any MetricsFactory
    private let requests = Mutex<[Key: Counter]>([:])
    private let bytes = Mutex<[String: Counter]>([:])

    init(factory: any MetricsFactory) { self.factory = factory }

    /// The route template of a path: a bounded label set, never the raw path.
    static func template(_ path: String) -> String {
        if path.hasPrefix("/ext-ui/") || path == "/ext-ui" { return "/ext-ui/{extensionId}/{contentHash}/{path}" }
        if path.hasPrefix("/api/ext/") || path == "/api/ext" { return "/api/ext/{extensionId}/{path}" }
        switch path {
        case "/", "/healthz", "/readyz", "/metrics", "/internal/prefetch": return path
        default: return "other"
        }
    }

    func record(path: String, status: Int, bytes count: Int?) {
        counters(path: path, status: status, countingBytes: count != nil).record(bytes: count)
    }

    /// The counters one (route, status) pair increments, for callers that record the same pair
    /// again and again (`AnswerMemo` entries keep them: two locked lookups less per answer).
    struct Counters: Sendable {
        let requests: Counter
        /// The route's byte counter; nil when the answers have no length to count.
        let bytes: Counter?

        func record(bytes count: Int?) {
            requests.increment()
            if let count, let bytes { bytes.increment(by: count) }
        }
    }

    /// The pair's counters; the route's byte counter only when `countingBytes` (so a route never
    /// answered with a length has no byte series).
    func counters(path: String, status: Int, countingBytes: Bool) -> Counters {
        let route = Self.template(path)
        let key = Key(route: route, status: status)
        let requestCounter = requests.withLock { counters in
            if let counter = counters[key] { return counter }
            let counter = Counter(label: "uiserve_http_requests_total", dimensions: [("route", route), ("status", String(status))], factory: factory)
            counters[key] = counter
            return counter
        }
        guard countingBytes else { return Counters(requests: requestCounter, bytes: nil) }
        let byteCounter = bytes.withLock { counters in
            if let counter = counters[route] { return counter }
            let counter = Counter(label: "uiserve_http_response_bytes_total", dimensions: [("route", route)], factory: factory)
            counters[route] = counter
            return counter
        }
        return Counters(requests: requestCounter, bytes: byteCounter)
    }
}
