import BundleIndex
import Testing

@Suite struct RetryScheduleTests {
    let schedule = RetrySchedule(base: .milliseconds(100), cap: .seconds(1), maxAttempts: 5)

    @Test func exponentialWithFullJitterAndACap() {
        #expect(schedule.delay(afterAttempt: 1, remaining: .seconds(60), jitter: 0.999) == .milliseconds(100) * 0.999)
        #expect(schedule.delay(afterAttempt: 2, remaining: .seconds(60), jitter: 0.5) == .milliseconds(100))
        #expect(schedule.delay(afterAttempt: 3, remaining: .seconds(60), jitter: 0.5) == .milliseconds(200))
        #expect(schedule.delay(afterAttempt: 4, remaining: .seconds(60), jitter: 1) == .milliseconds(800))
        #expect(schedule.delay(afterAttempt: 1, remaining: .seconds(60), jitter: 0) == .zero)
        let capped = RetrySchedule(base: .milliseconds(100), cap: .seconds(1), maxAttempts: 50)
        #expect(capped.delay(afterAttempt: 40, remaining: .seconds(60), jitter: 1) == .seconds(1))
    }

    @Test func stopsAtMaxAttemptsOrTheDeadline() {
        #expect(schedule.delay(afterAttempt: 5, remaining: .seconds(60), jitter: 0.5) == nil)
        #expect(schedule.delay(afterAttempt: 3, remaining: .milliseconds(150), jitter: 0.9) == nil)
        #expect(schedule.delay(afterAttempt: 3, remaining: .milliseconds(150), jitter: 0.5) == nil)
        #expect(schedule.delay(afterAttempt: 3, remaining: .milliseconds(150), jitter: 0.1) == .milliseconds(40))
    }

    @Test(arguments: [
        (StoreFailure.connection("reset"), true), (.truncated, true), (.status(500), true), (.status(503), true), (.status(429), true),
        (.status(403), false), (.status(404), false), (.status(400), false), (.tooLarge, false),
    ])
    func whatIsRetried(_ failure: StoreFailure, _ retried: Bool) {
        #expect(RetrySchedule.isRetryable(failure) == retried)
    }
}
