import BundleIndex
import Foundation
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// The gateway's execution log and daily quota.
///
/// Requests only touch memory: `record` appends a row to a bounded buffer (a full buffer drops the
/// row and counts it), and `admit` counts the call against the tenant's quota. The service's `run`
/// writes the buffer in batches every `flushInterval`, so a slow or stopped database never slows
/// or fails a request; a failed batch stays buffered (within the bound) and is written later.
///
/// The daily quota (calls per tenant per UTC day, over all its extensions) is counted from
/// `extension_quota_usage`: the tenant's total as the database last said it, plus the calls this
/// process admitted and has not written yet. The service reads a tenant's total when its first
/// call of the day asks for it (that call waits at most `lookupTimeout`, then goes ahead on the
/// local count; the database call itself never runs on a request's task, so a hung database cannot
/// hold one) and again every `refreshInterval`, which is how calls through other replicas count.
public final class UsageRecorder: Service, Sendable {
    /// Sizes and periods, with defaults.
    public struct Configuration: Sendable {
        /// `EXT_GATEWAY_DAILY_QUOTA`: calls per tenant per UTC day; nil for no quota.
        public var dailyQuota: Int?
        /// Rows held in memory before new ones are dropped.
        public var capacity: Int
        /// Rows written per transaction.
        public var batchSize: Int
        public var flushInterval: Duration
        public var refreshInterval: Duration
        public var lookupTimeout: Duration

        public init(dailyQuota: Int? = nil, capacity: Int = 10_000, batchSize: Int = 500, flushInterval: Duration = .seconds(1),
                    refreshInterval: Duration = .seconds(10), lookupTimeout: Duration = .milliseconds(500)) {
            self.dailyQuota = dailyQuota
            self.capacity = capacity
            self.batchSize = batchSize
            self.flushInterval = flushInterval
            self.refreshInterval = refreshInterval
            self.lookupTimeout = lookupTimeout
        }
    }

    /// Whether a call may go ahead under the daily quota.
    public enum Admission: Sendable, Equatable {
        case admitted
        /// Over quota until the next window, `retryAfter` seconds from now.
        case exceeded(retryAfter: Int)
    }

    private struct UsageKey: Hashable {
        var tenantID: String, extensionID: String, windowStart: Date
    }

    /// The database's total for a tenant's window, and when it was read (nil: not yet, or failed).
    private struct Baseline {
        var windowStart: Date
        var calls: Int
        var readAt: ContinuousClock.Instant?
    }

    /// A request waiting for a tenant's total: `pending` until its continuation is registered,
    /// `cancelled` when it gave up before that.
    private enum Waiter {
        case pending
        case waiting(tenantID: String, CheckedContinuation<Void, Never>)
        case cancelled
    }

    private struct State {
        var rows: [ExecutionLogEntry] = []
        var usage: [UsageKey: QuotaUsage] = [:]
        var baselines: [String: Baseline] = [:]
        var waiters: [UInt64: Waiter] = [:]
        var nextWaiter: UInt64 = 0

        /// Adds an increment to the pending counters of its (tenant, extension, window): the one
        /// place calls, bytes and a failed batch's counters all go.
        mutating func add(_ increment: QuotaUsage) {
            let key = UsageKey(tenantID: increment.tenantID, extensionID: increment.extensionID, windowStart: increment.windowStart)
            var merged = usage[key] ?? QuotaUsage(tenantID: increment.tenantID, extensionID: increment.extensionID, windowStart: increment.windowStart)
            merged.calls += increment.calls
            merged.requestBytes += increment.requestBytes
            merged.responseBytes += increment.responseBytes
            usage[key] = merged
        }
    }

    public let configuration: Configuration
    private let store: any UsageStore
    private let clock: @Sendable () -> Date
    private let state = Mutex(State())
    private let logger: Logger
    private let written: Counter
    private let dropped: Counter
    private let failures: Counter
    /// Tenants whose totals requests are waiting for, read by `run`.
    private let lookups: AsyncStream<String>
    private let lookupRequests: AsyncStream<String>.Continuation

    public init(store: any UsageStore, configuration: Configuration = Configuration(), clock: @escaping @Sendable () -> Date = Date.init,
                metrics: any MetricsFactory = MetricsSystem.factory, logger: Logger = Logger(label: "uiserve.usage")) {
        self.store = store
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
        written = Counter(label: "uiserve_gateway_execution_log_rows_total", dimensions: [("result", "written")], factory: metrics)
        dropped = Counter(label: "uiserve_gateway_execution_log_rows_total", dimensions: [("result", "dropped")], factory: metrics)
        failures = Counter(label: "uiserve_gateway_usage_write_failures_total", factory: metrics)
        (lookups, lookupRequests) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(10_000))
    }

    // MARK: the request path

    /// Counts a call against the tenant's daily quota, or refuses it when the quota is used up.
    /// Without a quota it only counts (for `extension_quota_usage`). Waits (at most
    /// `lookupTimeout`) for the tenant's total of today from the database the first time.
    public func admit(tenantID: String, extensionID: String) async -> Admission {
        await loadBaseline(tenantID: tenantID)
        return admitWithoutWaiting(tenantID: tenantID, extensionID: extensionID)
    }

    /// Waits (at most `lookupTimeout`) for the tenant's total of today when it is not loaded yet.
    public func loadBaseline(tenantID: String) async {
        if !hasBaseline(tenantID: tenantID) { await waitForBaseline(tenantID: tenantID) }
    }

    /// Whether `admitWithoutWaiting` decides with the tenant's total of today (always, without a
    /// quota): callers that must not wait check this first and otherwise use `admit`.
    public func hasBaseline(tenantID: String) -> Bool {
        configuration.dailyQuota == nil || !needsBaseline(tenantID: tenantID, window: QuotaUsage.window(containing: clock()))
    }

    /// `admit`'s decision and count with what is known now (no total from the database yet counts
    /// as none, as when its lookup times out).
    public func admitWithoutWaiting(tenantID: String, extensionID: String) -> Admission {
        let now = clock()
        let window = QuotaUsage.window(containing: now)
        if let quota = configuration.dailyQuota {
            let used = state.withLock { state in
                (state.baselines[tenantID].flatMap { $0.windowStart == window ? $0.calls : nil } ?? 0)
                    + state.usage.values.reduce(0) { $0 + ($1.tenantID == tenantID && $1.windowStart == window ? $1.calls : 0) }
            }
            if used >= quota {
                return .exceeded(retryAfter: max(1, Int((window.timeIntervalSince1970 + 86_400 - now.timeIntervalSince1970).rounded(.up))))
            }
        }
        state.withLock { $0.add(QuotaUsage(tenantID: tenantID, extensionID: extensionID, windowStart: window, calls: 1)) }
        return .admitted
    }

    /// Buffers one log row and the call's bytes; never waits. A full buffer drops the row (counted).
    public func record(_ entry: ExecutionLogEntry, requestBytes: Int, responseBytes: Int) {
        let kept = state.withLock { state in
            guard state.rows.count < configuration.capacity else { return false }
            state.rows.append(entry)
            return true
        }
        if !kept { dropped.increment() }
        if requestBytes > 0 || responseBytes > 0 {
            let bytes = QuotaUsage(tenantID: entry.tenantID, extensionID: entry.extensionID, windowStart: QuotaUsage.window(containing: entry.startedAt),
                                   requestBytes: Int64(requestBytes), responseBytes: Int64(responseBytes))
            state.withLock { $0.add(bytes) }
        }
    }

    private func needsBaseline(tenantID: String, window: Date) -> Bool {
        state.withLock { state in
            guard let baseline = state.baselines[tenantID], baseline.windowStart == window, baseline.readAt != nil else { return true }
            return false
        }
    }

    /// Asks the service for the tenant's total and waits for it, at most `lookupTimeout`. Both
    /// children end promptly when cancelled, so the wait is bounded whatever the database does.
    private func waitForBaseline(tenantID: String) async {
        let id = state.withLock { state -> UInt64 in
            state.nextWaiter += 1
            state.waiters[state.nextWaiter] = .pending
            return state.nextWaiter
        }
        defer { state.withLock { _ = $0.waiters.removeValue(forKey: id) } }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withTaskCancellationHandler {
                    await withCheckedContinuation { continuation in
                        let registered = self.state.withLock { state -> Bool in
                            guard case .pending = state.waiters[id] else { return false }
                            state.waiters[id] = .waiting(tenantID: tenantID, continuation)
                            return true
                        }
                        if registered { self.lookupRequests.yield(tenantID) } else { continuation.resume() }
                    }
                } onCancel: {
                    self.resumeWaiter(id)
                }
            }
            group.addTask { [timeout = configuration.lookupTimeout] in try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
    }

    /// Resumes one waiter (or marks it cancelled when it has not registered yet).
    private func resumeWaiter(_ id: UInt64) {
        let continuation = state.withLock { state -> CheckedContinuation<Void, Never>? in
            switch state.waiters[id] {
            case .waiting(_, let continuation):
                state.waiters[id] = nil
                return continuation
            case .pending:
                state.waiters[id] = .cancelled
                return nil
            case .cancelled, nil:
                return nil
            }
        }
        continuation?.resume()
    }

    /// Reads the tenant's total from the store (on the service's task), then wakes the requests
    /// waiting for it. On failure the baseline stays unread: the next call asks again.
    private func readBaseline(tenantID: String) async {
        let window = QuotaUsage.window(containing: clock())
        do {
            let calls = try await store.windowCalls(tenantID: tenantID, windowStart: window)
            state.withLock { $0.baselines[tenantID] = Baseline(windowStart: window, calls: calls, readAt: .now) }
        } catch {
            logger.warning("quota lookup failed; calls are counted locally until it succeeds", metadata: ["tenant": "\(tenantID)", "error": "\(error)"])
        }
        resumeWaiters(for: tenantID)
    }

    /// Wakes every request waiting for the tenant's total.
    private func resumeWaiters(for tenantID: String) {
        let waiting = state.withLock { state -> [UInt64] in
            state.waiters.compactMap { id, waiter in
                if case .waiting(let tenant, _) = waiter, tenant == tenantID { return id }
                return nil
            }
        }
        for id in waiting { resumeWaiter(id) }
    }

    // MARK: the background writer

    /// Writes what is buffered, in batches, until the buffer is empty or a write fails. Returns the
    /// number of rows written.
    @discardableResult
    public func flush() async -> Int {
        var total = 0
        while true {
            let (rows, usage) = state.withLock { state -> ([ExecutionLogEntry], [QuotaUsage]) in
                let rows = Array(state.rows.prefix(configuration.batchSize))
                state.rows.removeFirst(rows.count)
                let usage = Array(state.usage.values)
                state.usage.removeAll()
                return (rows, usage)
            }
            if rows.isEmpty && usage.isEmpty { break }
            do {
                try await store.appendUsage(entries: rows, usage: usage)
                written.increment(by: rows.count)
                total += rows.count
                // What was just written is in the database now: move it into the baselines.
                state.withLock { state in
                    for item in usage where state.baselines[item.tenantID]?.windowStart == item.windowStart {
                        state.baselines[item.tenantID]!.calls += item.calls
                    }
                }
            } catch {
                failures.increment()
                logger.warning("usage write failed; rows stay buffered", metadata: ["rows": "\(rows.count)", "error": "\(error)"])
                restore(rows: rows, usage: usage)
                break
            }
        }
        return total
    }

    /// Puts a failed batch back in front of newer rows (dropping, and counting, what no longer fits).
    private func restore(rows: [ExecutionLogEntry], usage: [QuotaUsage]) {
        let overflow = state.withLock { state -> Int in
            state.rows.insert(contentsOf: rows, at: 0)
            let overflow = max(0, state.rows.count - configuration.capacity)
            if overflow > 0 { state.rows.removeLast(overflow) }
            for item in usage { state.add(item) }
            return overflow
        }
        if overflow > 0 { dropped.increment(by: overflow) }
    }

    /// Re-reads the totals of tenants whose baselines are older than `refreshInterval`, so calls
    /// through other replicas count too, and forgets yesterday's.
    func refreshBaselines() async {
        guard configuration.dailyQuota != nil else { return }
        let window = QuotaUsage.window(containing: clock())
        let stale = state.withLock { state in
            state.baselines = state.baselines.filter { $0.value.windowStart == window }
            return state.baselines.filter { _, baseline in
                baseline.readAt.map { ContinuousClock.now - $0 >= configuration.refreshInterval } ?? true
            }.map(\.key)
        }
        // Unwritten calls are not in the database's total; `admit` adds them on top.
        for tenantID in stale { await readBaseline(tenantID: tenantID) }
    }

    /// Answers quota lookups as requests ask, and flushes every `flushInterval`, until graceful
    /// shutdown (or cancellation); then flushes once more.
    public func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await tenantID in self.lookups {
                    if self.hasFreshBaseline(tenantID) { self.resumeWaiters(for: tenantID) } else { await self.readBaseline(tenantID: tenantID) }
                }
            }
            group.addTask {
                while !Task.isShuttingDownGracefully && !Task.isCancelled {
                    try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.configuration.flushInterval) }
                    await self.flush()
                    await self.refreshBaselines()
                }
                self.lookupRequests.finish()
            }
        }
        await flush()
    }

    /// Whether the tenant's total for the current window was read (several requests may have asked).
    private func hasFreshBaseline(_ tenantID: String) -> Bool {
        !needsBaseline(tenantID: tenantID, window: QuotaUsage.window(containing: clock()))
    }
}
