/// When to try a store request again (pure logic): capped exponential backoff with full jitter,
/// a maximum number of attempts, and one overall deadline that no wait may cross.
public struct RetrySchedule: Sendable, Equatable {
    /// The first wait before jitter.
    public var base: Duration
    /// No single wait is longer than this.
    public var cap: Duration
    /// Attempts in all, the first included.
    public var maxAttempts: Int

    public init(base: Duration = .milliseconds(100), cap: Duration = .seconds(2), maxAttempts: Int = 4) {
        self.base = base
        self.cap = cap
        self.maxAttempts = maxAttempts
    }

    /// The wait after failed attempt number `attempt` (1-based), or nil to stop: attempts used up,
    /// or the wait would end past `remaining`. `jitter` in [0, 1) is injected (full jitter: the wait
    /// is `jitter × min(cap, base × 2^(attempt-1))`).
    public func delay(afterAttempt attempt: Int, remaining: Duration, jitter: Double) -> Duration? {
        guard attempt < maxAttempts else { return nil }
        let exponent = min(attempt - 1, 30)
        let ceiling = min(cap, base * (1 << exponent))
        let wait = ceiling * max(0, min(jitter, 1))
        return wait < remaining ? wait : nil
    }

    /// Whether a failure is worth another attempt: connection errors, 5xx, 429 and truncated
    /// bodies are; 403, 404 and other client errors, and size-limit refusals, are not.
    public static func isRetryable(_ failure: StoreFailure) -> Bool {
        switch failure {
        case .connection, .truncated: true
        case .status(let code): code >= 500 || code == 429
        case .tooLarge: false
        }
    }
}

/// What went wrong with one store request, as the retry policy sees it.
public enum StoreFailure: Sendable, Equatable {
    /// Could not connect, reset, timed out (libcurl's message).
    case connection(String)
    /// An HTTP status other than success.
    case status(Int)
    /// The body ended before its declared length.
    case truncated
    /// More bytes than allowed.
    case tooLarge
}
