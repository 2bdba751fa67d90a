import Synchronization

/// Token buckets keyed by (tenant, extension): `rate` tokens per second up to `burst`; a request
/// takes one token or is refused with the time until the next one (for `Retry-After`). Time is
/// injected, so the arithmetic is tested without sleeping.
public final class RateLimiter: Sendable {
    /// `EXT_GATEWAY_RATE_LIMIT`, e.g. `50/s burst 100` (also `/m`, `/h`; burst defaults to the rate).
    public struct Limit: Sendable, Equatable {
        public var perSecond: Double
        public var burst: Double

        public init(perSecond: Double, burst: Double) {
            self.perSecond = perSecond
            self.burst = burst
        }

        public init?(parsing text: String) {
            let parts = text.lowercased().split(separator: " ").filter { !$0.isEmpty }
            guard let rate = parts.first, let slash = rate.firstIndex(of: "/"), let count = Double(rate[..<slash]), count > 0 else { return nil }
            let seconds: Double
            switch rate[rate.index(after: slash)...] {
            case "s", "sec", "second": seconds = 1
            case "m", "min", "minute": seconds = 60
            case "h", "hour": seconds = 3600
            default: return nil
            }
            var burst = max(1, count)
            if parts.count == 3, parts[1] == "burst", let value = Double(parts[2]), value >= 1 {
                burst = value
            } else if parts.count != 1 {
                return nil
            }
            self.init(perSecond: count / seconds, burst: burst)
        }
    }

    public enum Decision: Sendable, Equatable {
        case allowed
        /// Refused; the next token arrives after this many whole seconds (at least 1).
        case limited(retryAfterSeconds: Int)
    }

    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    public let limit: Limit
    private let now: @Sendable () -> ContinuousClock.Instant
    private let buckets = Mutex<[String: Bucket]>([:])
    private let maxKeys: Int

    public init(limit: Limit, maxKeys: Int = 100_000, now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }) {
        self.limit = limit
        self.maxKeys = maxKeys
        self.now = now
    }

    /// Takes a token for (tenant, extension).
    public func take(tenant: String, extensionID: String) -> Decision {
        let instant = now()
        let key = tenant + "\u{0}" + extensionID
        return buckets.withLock { buckets in
            if buckets.count >= maxKeys, buckets[key] == nil {
                // Full buckets are the default state: forgetting them loses nothing.
                buckets = buckets.filter { $0.value.tokens < limit.burst - 1e-9 }
                if buckets.count >= maxKeys { buckets.removeAll() }
            }
            var bucket = buckets[key] ?? Bucket(tokens: limit.burst, updated: instant)
            let elapsed = Double((instant - bucket.updated) / .nanoseconds(1)) / 1e9
            bucket.tokens = min(limit.burst, bucket.tokens + max(0, elapsed) * limit.perSecond)
            bucket.updated = instant
            defer { buckets[key] = bucket }
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                return .allowed
            }
            let wait = (1 - bucket.tokens) / limit.perSecond
            return .limited(retryAfterSeconds: max(1, Int(wait.rounded(.up))))
        }
    }
}
