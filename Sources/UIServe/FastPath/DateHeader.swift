import Foundation
import Synchronization

/// The `Date` field of responses written outside Hummingbird (RFC 9110 §6.6.1: an origin server
/// with a clock sends it), formatted at most once a second.
final class DateHeader: Sendable {
    private let current = Mutex<(second: Int64, text: String)>((-1, ""))

    var value: String {
        let now = Int64(time(nil))
        return current.withLock { current in
            if current.second != now { current = (now, HTTPDate.format(now)) }
            return current.text
        }
    }
}
