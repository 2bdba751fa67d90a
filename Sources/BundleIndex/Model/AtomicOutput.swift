import Foundation

/// Writes an output file so that it either appears complete or not at all: content goes to a
/// hidden temporary file in the same directory, which is renamed over the target on success and
/// deleted on failure. CLI commands use it so a failed run never leaves a half-written file.
public struct AtomicOutput: Sendable {
    /// The final path.
    public let path: String
    /// The temporary path to write to.
    public let temporaryPath: String

    public init(path: String) {
        self.path = path
        let url = URL(fileURLWithPath: path)
        let name = ".\(url.lastPathComponent).partial-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        self.temporaryPath = url.deletingLastPathComponent().appendingPathComponent(name).path
    }

    /// Runs `body` with the temporary path, then renames it into place; removes it if `body` throws.
    public func write<T>(_ body: (String) throws -> T) throws -> T {
        do {
            let result = try body(temporaryPath)
            guard rename(temporaryPath, path) == 0 else {
                throw BundleIndexError(.io, "\(path): cannot write (\(String(cString: strerror(errno)).lowercased()))")
            }
            return result
        } catch {
            unlink(temporaryPath)
            throw error
        }
    }

    /// Writes `data` atomically to `path`.
    public static func write(_ data: Data, to path: String) throws {
        try AtomicOutput(path: path).write { temporary in
            guard FileManager.default.createFile(atPath: temporary, contents: data) else {
                throw BundleIndexError(.io, "\(path): cannot write (\(String(cString: strerror(errno)).lowercased()))")
            }
        }
    }
}
