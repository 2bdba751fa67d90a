import Metrics

/// Request metrics by route template and status, and response bytes, for `/metrics`.
struct HTTPMetrics: Sendable {
    let factory: any MetricsFactory

    /// The route template of a path: a bounded label set, never the raw path.
    static func template(_ path: String) -> String {
        if path.hasPrefix("/ext-ui/") || path == "/ext-ui" { return "/ext-ui/{extensionId}/{contentHash}/{path}" }
        switch path {
        case "/", "/healthz", "/readyz", "/metrics", "/internal/prefetch": return path
        default: return "other"
        }
    }

    func record(path: String, status: Int, bytes: Int?) {
        let route = Self.template(path)
        Counter(label: "uiserve_http_requests_total", dimensions: [("route", route), ("status", String(status))], factory: factory).increment()
        if let bytes { Counter(label: "uiserve_http_response_bytes_total", dimensions: [("route", route)], factory: factory).increment(by: bytes) }
    }
}
