import BundleIndex
import Foundation
import TestSupport
import Testing

@Suite struct WriteAllTests {
    @Test func writesEveryByteOrSaysWhyNot() throws {
        try Fixtures.withTemporaryDirectory { dir in
            let path = dir + "/out"
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
            #expect(fd >= 0)
            let bytes = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            #expect(bytes.withUnsafeBytes { $0.writeAll(to: fd) } == nil)
            close(fd)
            #expect(FileManager.default.contents(atPath: path) == Data(bytes))
            #expect(bytes.withUnsafeBytes { $0.writeAll(to: -1) } == EBADF)
            // A descriptor open for reading only refuses the write.
            let readOnly = open(path, O_RDONLY)
            defer { close(readOnly) }
            #expect(bytes.withUnsafeBytes { $0.writeAll(to: readOnly) } == EBADF)
        }
    }
}
