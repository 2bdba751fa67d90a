import Foundation
import Synchronization

/// A text made from the current second, formatted at most once a second however often it is
/// read: the `Date` field of responses written outside Hummingbird (RFC 9110 §6.6.1: an origin
/// server with a clock sends it), and the time at the start of each log line.
final class SecondlyText: Sendable {
    private let format: @Sendable (Int64) -> String
    private let current = Mutex<(second: Int64, text: String)>((-1, ""))

    /// `format` turns seconds since the epoch into the text.
    init(_ format: @escaping @Sendable (Int64) -> String) { self.format = format }

    var value: String {
        let now = Int64(time(nil))
        return current.withLock { current in
            if current.second != now { current = (now, format(now)) }
            return current.text
        }
    }
}
