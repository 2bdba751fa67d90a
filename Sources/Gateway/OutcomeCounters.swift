import Metrics
import Synchronization

/// `uiserve_gateway_requests_total` by outcome, one counter per outcome made on first use.
final class OutcomeCounters: Sendable {
    private let factory: any MetricsFactory
    private let counters = Mutex<[String: Counter]>([:])

    init(factory: any MetricsFactory) { self.factory = factory }

    func counter(_ outcome: String) -> Counter {
        counters.withLock { counters in
            if let counter = counters[outcome] { return counter }
            let counter = Counter(label: "uiserve_gateway_requests_total", dimensions: [("outcome", outcome)], factory: factory)
            counters[outcome] = counter
            return counter
        }
    }
}
