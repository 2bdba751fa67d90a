import Foundation
import Logging
import Testing

@testable import UIServe

/// The log line format: StreamLogHandler's, metadata sorted and merged when the line is written.
@Suite struct LineLogHandlerTests {
    @Test func oneLinePerEventWithSortedMetadata() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]) }
        var logger = Logger(label: "uiserve.test") { LineLogHandler(label: $0, descriptor: fds[1]) }
        logger[metadataKey: "request"] = "r1"
        logger[metadataKey: "b"] = "2"
        logger.info("hello", metadata: ["a": "1", "b": "override"])
        logger.debug("below the level")
        close(fds[1])
        let text = String(decoding: FileHandle(fileDescriptor: fds[0]).readDataToEndOfFile(), as: UTF8.self)
        let lines = text.split(separator: "\n")
        #expect(lines.count == 1)
        let line = try #require(lines.first)
        #expect(line.hasSuffix(" info uiserve.test: a=1 b=override request=r1 [UIServeTests] hello"), "\(line)")
        #expect(line.first?.isNumber == true)
    }
}
