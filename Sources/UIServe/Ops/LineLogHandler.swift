import Foundation
import Logging

/// One line per log event on standard output, in swift-log's `StreamLogHandler` format
/// (`<time> <level> <label>: k=v … [<source>] <message>`), with metadata formatted when a line is
/// written rather than whenever it changes: the HTTP server sets a request id on its logger for
/// every request, and `StreamLogHandler` re-formats all metadata on each such set (a measured cost
/// on the hot path).
struct LineLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?
    /// Where lines go (standard output; a pipe in tests).
    let descriptor: Int32

    init(label: String, metadataProvider: Logger.MetadataProvider? = nil, descriptor: Int32 = STDOUT_FILENO) {
        self.label = label
        self.metadataProvider = metadataProvider
        self.descriptor = descriptor
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var all = metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { $1 } }
        if let explicit = event.metadata { all.merge(explicit) { $1 } }
        if let error = event.error { all["error.message"] = "\(error)" }
        var line = Self.timestamp() + " \(event.level) " + label + ":"
        for (key, value) in all.sorted(by: { $0.key < $1.key }) { line += " \(key)=\(value)" }
        line += " [\(event.source)] \(event.message)\n"
        // One write(2) per line: lines from concurrent tasks never interleave.
        let bytes = Array(line.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if written <= 0 { break }
            offset += written
        }
    }

    /// `2026-11-26T02:03:42+0000`, local time as `StreamLogHandler` writes it.
    static func timestamp() -> String {
        var now = time(nil)
        var parts = tm()
        localtime_r(&now, &parts)
        var buffer = [Int8](repeating: 0, count: 64)
        let count = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &parts)
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
