import Foundation

/// Runs one test alone, in a child process of this test binary, for measurements that the other
/// suites running alongside would disturb: resident memory belongs to the whole process, so a
/// test that measures it in a shared run also measures every server and file the other tests hold
/// at that moment (a CI run once saw 27 MiB of such growth during a 64 MiB download).
public enum Isolated {
    static let variable = "UISERVE_TEST_ISOLATED"

    /// True inside the child that runs the test alone: the test measures here.
    public static var isChild: Bool { ProcessInfo.processInfo.environment[variable] == "1" }

    /// What the child printed and whether its one test passed.
    public struct Outcome: Sendable {
        public var status: Int32
        public var output: String
        /// The child exited 0 having run exactly one test: a filter that matches nothing passes
        /// vacuously, so it must not count.
        public var passedOneTest: Bool { status == 0 && output.contains("Test run with 1 test ") }
    }

    /// Runs the test whose name matches `test` alone in a new process of this test binary (the
    /// environment, with the test servers' addresses, is inherited). Blocks a GCD thread, not the
    /// cooperative pool.
    public static func run(test: String) async throws -> Outcome {
        let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result {
                    let process = Process()
                    process.executableURL = URL(fileURLWithPath: executable)
                    process.arguments = ["--testing-library", "swift-testing", "--filter", test]
                    var environment = ProcessInfo.processInfo.environment
                    environment[variable] = "1"
                    process.environment = environment
                    let pipe = Pipe()
                    process.standardOutput = pipe
                    process.standardError = pipe
                    try process.run()
                    let output = pipe.fileHandleForReading.readDataToEndOfFile()
                    process.waitUntilExit()
                    return Outcome(status: process.terminationStatus, output: String(decoding: output, as: UTF8.self))
                })
            }
        }
    }
}
