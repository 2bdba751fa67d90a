import Metrics

/// The cache's metrics (swift-metrics, made by an injected factory so each application — and each
/// test — has its own registry): hits, misses, evictions, bytes held, load durations and failures.
public struct CacheMetrics: Sendable {
    let factory: any MetricsFactory
    let hits: Counter
    let misses: Counter
    let evictions: Counter
    let bytes: Gauge
    let loadDuration: Timer

    public init(factory: any MetricsFactory) {
        self.factory = factory
        hits = Counter(label: "uiserve_cache_hits_total", factory: factory)
        misses = Counter(label: "uiserve_cache_misses_total", factory: factory)
        evictions = Counter(label: "uiserve_cache_evictions_total", factory: factory)
        bytes = Gauge(label: "uiserve_cache_bytes", factory: factory)
        loadDuration = Timer(label: "uiserve_bundle_load_duration_seconds", factory: factory)
    }

    /// Counts a failed load by its error code (`hash_mismatch`, `signature_invalid`, `unavailable`, …).
    func failed(_ error: any Error) {
        let code = (error as? BundleIndexError).map { "\($0.code)" } ?? "internal"
        Counter(label: "uiserve_bundle_load_failures_total", dimensions: [("code", code)], factory: factory).increment()
    }
}
