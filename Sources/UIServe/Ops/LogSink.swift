import BundleIndex
import Foundation
import Synchronization

/// Where log lines go: a buffer written to a descriptor in batches, as nginx's buffered
/// `access_log` does. The gateway logs one line per request; a `write(2)` per line was one of the
/// five system calls a gateway call made (`strace -c`, README), and the costliest of them per byte.
///
/// Lines are written, in order, when 32 KiB have gathered, when a line of level warning or above
/// arrives (it and everything before it go out at once), every 100 ms by a flusher thread, and by
/// `flush()` (the process calls it before it exits). A process killed outright loses at most
/// 100 ms of info lines.
final class LogSink: Sendable {
    /// Standard output, where the server's log goes.
    static let standardOutput = LogSink(descriptor: STDOUT_FILENO)

    let descriptor: Int32
    let capacity: Int
    let interval: Duration
    /// Lines not yet written. Writes happen under this lock, so batches never interleave or reorder.
    private let pending = Mutex<[UInt8]>([])
    private let flusherStarted = Atomic<Bool>(false)
    /// The time at the start of each line, formatted once per second rather than once per line.
    private let clock = SecondlyText(LogSink.localTimestamp)

    init(descriptor: Int32, capacity: Int = 32 << 10, interval: Duration = .milliseconds(100)) {
        self.descriptor = descriptor
        self.capacity = capacity
        self.interval = interval
    }

    /// Adds one line (its newline included); writes the buffer when it is full or `urgent`.
    func append(_ line: String, urgent: Bool) {
        startFlusherOnce()
        pending.withLock { buffer in
            buffer.append(contentsOf: line.utf8)
            if urgent || buffer.count >= capacity { write(&buffer) }
        }
    }

    /// Writes whatever is pending.
    func flush() {
        pending.withLock { buffer in
            if !buffer.isEmpty { write(&buffer) }
        }
    }

    /// `2026-11-26T02:03:42+0000`, local time, as swift-log's `StreamLogHandler` writes it.
    func timestamp() -> String { clock.value }

    private static func localTimestamp(_ seconds: Int64) -> String {
        var time = time_t(seconds)
        var parts = tm()
        localtime_r(&time, &parts)
        var bytes = [Int8](repeating: 0, count: 64)
        let count = strftime(&bytes, bytes.count, "%Y-%m-%dT%H:%M:%S%z", &parts)
        return String(decoding: bytes.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private func write(_ buffer: inout [UInt8]) {
        // A failed write drops the batch: logging must never stop the server.
        _ = buffer.withUnsafeBytes { $0.writeAll(to: descriptor) }
        buffer.removeAll(keepingCapacity: true)
    }

    /// One thread per sink, started by its first line; it holds the sink weakly and ends with it.
    private func startFlusherOnce() {
        guard !flusherStarted.load(ordering: .relaxed),
              flusherStarted.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged else { return }
        let seconds = interval / .seconds(1)
        Thread.detachNewThread { [weak self] in
            while true {
                Thread.sleep(forTimeInterval: seconds)
                guard let sink = self else { return }
                sink.flush()
            }
        }
    }
}
