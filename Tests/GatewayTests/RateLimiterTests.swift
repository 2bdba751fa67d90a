import Gateway
import Synchronization
import Testing

@Suite struct RateLimiterTests {
    final class Clock: Sendable {
        let start = ContinuousClock.now
        let offset = Mutex<Duration>(.zero)
        var now: ContinuousClock.Instant { start + offset.withLock { $0 } }
        func advance(_ by: Duration) { offset.withLock { $0 += by } }
    }

    @Test(arguments: [
        ("50/s burst 100", RateLimiter.Limit(perSecond: 50, burst: 100)),
        ("10/s", RateLimiter.Limit(perSecond: 10, burst: 10)),
        ("120/m burst 5", RateLimiter.Limit(perSecond: 2, burst: 5)),
        ("3600/h", RateLimiter.Limit(perSecond: 1, burst: 3600)),
    ])
    func parses(_ text: String, _ limit: RateLimiter.Limit) {
        #expect(RateLimiter.Limit(parsing: text) == limit)
    }

    @Test(arguments: ["", "50", "50/d", "0/s", "-1/s", "50/s burst", "50/s burst 0", "50/s burst x", "50/s bursts 3"])
    func refusesNonsense(_ text: String) {
        #expect(RateLimiter.Limit(parsing: text) == nil)
    }

    @Test func burstThenRefillPerKey() {
        let clock = Clock()
        let limiter = RateLimiter(limit: .init(perSecond: 2, burst: 3), now: { clock.now })
        for _ in 0..<3 { #expect(limiter.take(tenant: "t", extensionID: "e") == .allowed) }
        #expect(limiter.take(tenant: "t", extensionID: "e") == .limited(retryAfterSeconds: 1))
        // Another tenant, or another extension, has its own bucket.
        #expect(limiter.take(tenant: "u", extensionID: "e") == .allowed)
        #expect(limiter.take(tenant: "t", extensionID: "f") == .allowed)
        clock.advance(.milliseconds(500))
        #expect(limiter.take(tenant: "t", extensionID: "e") == .allowed)
        #expect(limiter.take(tenant: "t", extensionID: "e") == .limited(retryAfterSeconds: 1))
        clock.advance(.seconds(10))
        for _ in 0..<3 { #expect(limiter.take(tenant: "t", extensionID: "e") == .allowed) }
    }

    @Test func retryAfterReflectsASlowRate() {
        let clock = Clock()
        let limiter = RateLimiter(limit: .init(perSecond: 0.1, burst: 1), now: { clock.now })
        #expect(limiter.take(tenant: "t", extensionID: "e") == .allowed)
        #expect(limiter.take(tenant: "t", extensionID: "e") == .limited(retryAfterSeconds: 10))
    }
}
