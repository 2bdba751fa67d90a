import Foundation
import Logging

/// One line per log event on standard output (through `LogSink`, which batches the writes), in
/// swift-log's `StreamLogHandler` format (`<time> <level> <label>: k=v … [<source>] <message>`),
/// with metadata formatted when a line is written rather than whenever it changes: the HTTP server
/// sets a request id on its logger for every request, and `StreamLogHandler` re-formats all
/// metadata on each such set (a measured cost on the hot path).
struct LineLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?
    /// Where lines go: standard output's buffered sink (a pipe's in tests).
    let sink: LogSink

    init(label: String, metadataProvider: Logger.MetadataProvider? = nil, sink: LogSink = .standardOutput) {
        self.label = label
        self.metadataProvider = metadataProvider
        self.sink = sink
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        // The usual line (a logger without metadata of its own) takes the event's metadata as is.
        var all = event.metadata ?? [:]
        if !metadata.isEmpty || metadataProvider != nil {
            all = metadata
            if let provided = metadataProvider?.get() { all.merge(provided) { $1 } }
            if let explicit = event.metadata { all.merge(explicit) { $1 } }
        }
        if let error = event.error { all["error.message"] = "\(error)" }
        var line = sink.timestamp()
        line.reserveCapacity(256)
        line += " " + event.level.rawValue + " " + label + ":"
        for (key, value) in all.sorted(by: { $0.key < $1.key }) {
            line += " " + Self.oneLine(key) + "=" + Self.oneLine(value.description)
        }
        line += " [" + event.source + "] " + Self.oneLine(event.message.description) + "\n"
        // Warnings and errors go out at once (with everything before them); info lines in batches.
        sink.append(line, urgent: event.level >= .warning)
    }

    /// `text` with control characters written as escapes (`\n`, `\r`, `\t`, `\u{1B}`): a value
    /// from a request or a token never starts a log line of its own. Most text has none and is
    /// returned as it is.
    static func oneLine(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) else { return text }
        var escaped = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": escaped += "\\n"
            case "\r": escaped += "\\r"
            case "\t": escaped += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F: escaped += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }
}
