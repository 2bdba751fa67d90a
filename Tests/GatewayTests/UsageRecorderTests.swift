import BundleIndex
import Foundation
import Gateway
import Synchronization
import Testing

/// UsageRecorder's bookkeeping against an in-memory store (the SQL store is tested in the registry
/// suite and through the server): buffering, retries, drops, and the quota window.
@Suite struct UsageRecorderTests {
    final class MemoryStore: UsageStore, @unchecked Sendable {
        let state = Mutex<(rows: [ExecutionLogEntry], calls: [String: Int], failing: Bool, delay: Duration)>(([], [:], false, .zero))

        func appendUsage(entries: [ExecutionLogEntry], usage: [QuotaUsage]) async throws {
            struct Down: Error {}
            if state.withLock({ $0.failing }) { throw Down() }
            state.withLock { state in
                state.rows += entries
                for item in usage { state.calls[item.tenantID + "@" + String(item.windowStart.timeIntervalSince1970), default: 0] += item.calls }
            }
        }

        func windowCalls(tenantID: String, windowStart: Date) async throws -> Int {
            let delay = state.withLock { $0.delay }
            if delay > .zero { try await Task.sleep(for: delay) }
            return state.withLock { $0.calls[tenantID + "@" + String(windowStart.timeIntervalSince1970)] ?? 0 }
        }
    }

    final class Clock: @unchecked Sendable {
        let now = Mutex(Date(timeIntervalSince1970: 1_789_948_800 + 86_000))
    }

    static func entry(_ id: String, at date: Date) -> ExecutionLogEntry {
        ExecutionLogEntry(id: id, tenantID: "t", extensionID: "e", versionID: nil, requestID: id, startedAt: date, finishedAt: date,
                          status: .ok, httpStatus: 200, durationMilliseconds: 1)
    }

    @Test func aFailedBatchStaysBufferedAndIsWrittenLater() async {
        let store = MemoryStore()
        let recorder = UsageRecorder(store: store, configuration: .init(capacity: 10, batchSize: 2))
        for index in 0..<5 { recorder.record(Self.entry("r\(index)", at: Date()), requestBytes: 0, responseBytes: 0) }
        store.state.withLock { $0.failing = true }
        #expect(await recorder.flush() == 0)
        store.state.withLock { $0.failing = false }
        #expect(await recorder.flush() == 5)
        #expect(store.state.withLock { $0.rows.map(\.id) } == ["r0", "r1", "r2", "r3", "r4"])
    }

    /// Runs the recorder's service (it answers quota lookups) while `body` runs.
    static func withService(_ recorder: UsageRecorder, _ body: () async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await recorder.run() }
            try await body()
            group.cancelAll()
        }
    }

    @Test func theQuotaWindowEndsAtUTCMidnight() async throws {
        let store = MemoryStore()
        let clock = Clock()
        let recorder = UsageRecorder(store: store, configuration: .init(dailyQuota: 2, flushInterval: .seconds(3600)), clock: { clock.now.withLock { $0 } })
        try await Self.withService(recorder) {
            #expect(await recorder.admit(tenantID: "t", extensionID: "e") == .admitted)
            #expect(await recorder.admit(tenantID: "t", extensionID: "e2") == .admitted)
            // 86_000 s into the day: 400 s to midnight.
            #expect(await recorder.admit(tenantID: "t", extensionID: "e") == .exceeded(retryAfter: 400))
            #expect(await recorder.admit(tenantID: "u", extensionID: "e") == .admitted)
            clock.now.withLock { $0 = $0.addingTimeInterval(401) }
            #expect(await recorder.admit(tenantID: "t", extensionID: "e") == .admitted)
            await recorder.flush()
            #expect(store.state.withLock { $0.calls } == ["t@1789948800.0": 2, "u@1789948800.0": 1, "t@1790035200.0": 1])
        }
    }

    @Test func theDatabaseTotalCountsCallsThroughOtherReplicas() async throws {
        let store = MemoryStore()
        let window = QuotaUsage.window(containing: Date())
        try await store.appendUsage(entries: [], usage: [QuotaUsage(tenantID: "t", extensionID: "e", windowStart: window, calls: 5)])
        let recorder = UsageRecorder(store: store, configuration: .init(dailyQuota: 6, flushInterval: .seconds(3600)))
        try await Self.withService(recorder) {
            #expect(await recorder.admit(tenantID: "t", extensionID: "e") == .admitted)
            guard case .exceeded = await recorder.admit(tenantID: "t", extensionID: "e") else {
                Issue.record("the seventh call of the day was admitted")
                return
            }
        }
    }

    @Test func aHungQuotaLookupAdmitsOnTheLocalCount() async throws {
        let store = MemoryStore()
        store.state.withLock { $0.delay = .seconds(3600) }
        let recorder = UsageRecorder(store: store, configuration: .init(dailyQuota: 1, flushInterval: .seconds(3600), lookupTimeout: .milliseconds(50)))
        try await Self.withService(recorder) {
            #expect(await recorder.admit(tenantID: "t", extensionID: "e") == .admitted)
            // Counted locally all the same.
            guard case .exceeded(let seconds) = await recorder.admit(tenantID: "t", extensionID: "e") else {
                Issue.record("the second call was admitted")
                return
            }
            #expect((1...86_400).contains(seconds))
        }
    }

    @Test func withoutAQuotaNothingWaits() async {
        let store = MemoryStore()
        store.state.withLock { $0.delay = .seconds(3600) }
        // No service running and a hung store: without a quota, admit never asks for a total.
        let recorder = UsageRecorder(store: store, configuration: .init(lookupTimeout: .seconds(3600)))
        #expect(await recorder.admit(tenantID: "t", extensionID: "e") == .admitted)
    }
}
