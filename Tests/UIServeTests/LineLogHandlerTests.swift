import Foundation
import Logging
import Testing

@testable import UIServe

/// The log line format (StreamLogHandler's, metadata sorted and merged when the line is written),
/// and when `LogSink` writes its buffered lines.
@Suite struct LineLogHandlerTests {
    /// A pipe's ends and a sink on its write end; `read()` closes the write end and reads all.
    struct Pipe {
        let read: Int32
        let write: Int32
        init() {
            var fds: [Int32] = [0, 0]
            precondition(pipe(&fds) == 0)
            read = fds[0]
            write = fds[1]
            // Non-blocking reads: a test can look at what has been written so far.
            _ = fcntl(read, F_SETFL, fcntl(read, F_GETFL) | O_NONBLOCK)
        }

        func available() -> String {
            var bytes = [UInt8](repeating: 0, count: 1 << 16)
            let count = Foundation.read(read, &bytes, bytes.count)
            return String(decoding: bytes.prefix(max(count, 0)), as: UTF8.self)
        }
    }

    @Test func oneLinePerEventWithSortedMetadata() throws {
        let pipe = Pipe()
        defer { close(pipe.read); close(pipe.write) }
        let sink = LogSink(descriptor: pipe.write)
        var logger = Logger(label: "uiserve.test") { LineLogHandler(label: $0, sink: sink) }
        logger[metadataKey: "request"] = "r1"
        logger[metadataKey: "b"] = "2"
        logger.info("hello", metadata: ["a": "1", "b": "override"])
        logger.debug("below the level")
        sink.flush()
        let lines = pipe.available().split(separator: "\n")
        #expect(lines.count == 1)
        let line = try #require(lines.first)
        #expect(line.hasSuffix(" info uiserve.test: a=1 b=override request=r1 [UIServeTests] hello"), "\(line)")
        #expect(line.first?.isNumber == true)
    }

    /// A value from a request or a token (a tenant claim, an error text) cannot forge a line.
    @Test func controlCharactersAreEscapedSoEveryEventIsOneLine() throws {
        let pipe = Pipe()
        defer { close(pipe.read); close(pipe.write) }
        let sink = LogSink(descriptor: pipe.write)
        let logger = Logger(label: "t") { LineLogHandler(label: $0, sink: sink) }
        logger.info("two\nlines", metadata: ["tenant": "t1\r\n2026-11-26T00:00:00+0000 error forged:", "tab": "a\tb", "esc": "\u{1B}[31m"])
        sink.flush()
        let text = pipe.available()
        #expect(text.split(separator: "\n").count == 1, "\(text)")
        #expect(text.hasSuffix(#" esc=\u{1B}[31m tab=a\tb tenant=t1\r\n2026-11-26T00:00:00+0000 error forged: [UIServeTests] two\nlines"# + "\n"), "\(text)")
        #expect(LineLogHandler.oneLine("plain text, ünïcode") == "plain text, ünïcode")
    }

    @Test func infoLinesWaitForTheBatchAndAWarningTakesThemAlongInOrder() {
        let pipe = Pipe()
        defer { close(pipe.read); close(pipe.write) }
        let sink = LogSink(descriptor: pipe.write, interval: .seconds(3600))
        let logger = Logger(label: "t") { LineLogHandler(label: $0, sink: sink) }
        logger.info("first")
        logger.info("second")
        #expect(pipe.available() == "")
        logger.warning("third")
        let lines = pipe.available().split(separator: "\n").map { $0.split(separator: " ").last.map(String.init) }
        #expect(lines == ["first", "second", "third"])
    }

    @Test func aFullBufferIsWrittenWithoutWaiting() {
        let pipe = Pipe()
        defer { close(pipe.read); close(pipe.write) }
        let sink = LogSink(descriptor: pipe.write, capacity: 100, interval: .seconds(3600))
        sink.append(String(repeating: "a", count: 60) + "\n", urgent: false)
        #expect(pipe.available() == "")
        sink.append(String(repeating: "b", count: 60) + "\n", urgent: false)
        #expect(pipe.available().count == 122)
    }

    @Test func theFlusherWritesWithinItsInterval() async throws {
        let pipe = Pipe()
        defer { close(pipe.read); close(pipe.write) }
        let sink = LogSink(descriptor: pipe.write, interval: .milliseconds(20))
        sink.append("late\n", urgent: false)
        var seen = ""
        for _ in 0..<250 where seen.isEmpty {
            try await Task.sleep(for: .milliseconds(20))
            seen = pipe.available()
        }
        #expect(seen == "late\n")
    }
}
