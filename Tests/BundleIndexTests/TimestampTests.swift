import Foundation
import Testing

@testable import BundleIndex

/// The registry's hand-made timestamps are exactly what ISO8601DateFormatter makes.
@Suite struct TimestampTests {
    @Test(arguments: [0, 0.001, 0.999, 1, 59.9995, 951_782_400.5, 1_789_948_799.999, 1_790_000_000.123, 4_102_444_800, -1, -0.5, -86_400.25] as [Double])
    func sameAsFoundation(_ seconds: Double) {
        let date = Date(timeIntervalSince1970: seconds)
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        // The millisecond the time falls in (after rounding away binary noise at the microsecond).
        let micros = Int64((seconds * 1_000_000).rounded())
        let milliseconds = micros >= 0 ? micros / 1000 : (micros - 999) / 1000
        let truncated = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
        #expect(SQLRegistry.timestamp(date) == formatter.string(from: truncated))
        #expect(SQLRegistry.parseTimestamp(SQLRegistry.timestamp(date)) == Int64(seconds.rounded(.down)))
    }
}
