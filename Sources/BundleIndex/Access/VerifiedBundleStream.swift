import Foundation
import NIOPosix

/// The bytes of a verified bundle archive as an async sequence of chunks, read from a local copy
/// that was hashed and signature-checked before the first byte is handed out. The copy is already
/// unlinked: the open descriptor is its last reference, closed when the stream is dropped. Each
/// iteration reads from the start (positioned reads), so the stream can be iterated more than once.
public struct VerifiedBundleStream: AsyncSequence, Sendable {
    public typealias Element = [UInt8]

    /// The archive's size in bytes.
    public let size: Int64
    private let file: OpenFile
    private let chunkSize: Int

    /// Owns the descriptor (closed on deinit) and reads it on NIO's blocking thread pool.
    final class OpenFile: Sendable {
        let descriptor: Int32

        init(path: String) throws {
            descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw BundleIndexError(.io, "\(path): cannot open (\(String(cString: strerror(errno))))") }
        }

        deinit { close(descriptor) }

        func read(at offset: Int64, upTo count: Int) async throws -> [UInt8] {
            try await NIOThreadPool.singleton.runIfActive {
                var buffer = [UInt8](repeating: 0, count: count)
                let read = buffer.withUnsafeMutableBytes { pread(self.descriptor, $0.baseAddress, count, off_t(offset)) }
                guard read >= 0 else { throw BundleIndexError(.io, "bundle stream: read failed (\(String(cString: strerror(errno))))") }
                buffer.removeLast(count - read)
                return buffer
            }
        }
    }

    /// Opens `path` and unlinks it (the stream owns the only reference from then on).
    init(takingOwnershipOf path: String, size: Int64, chunkSize: Int) throws {
        defer { unlink(path) }
        self.file = try OpenFile(path: path)
        self.size = size
        self.chunkSize = Swift.max(4096, chunkSize)
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let file: OpenFile
        let chunkSize: Int
        var offset: Int64 = 0

        public mutating func next() async throws -> [UInt8]? {
            let chunk = try await file.read(at: offset, upTo: chunkSize)
            offset += Int64(chunk.count)
            return chunk.isEmpty ? nil : chunk
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(file: file, chunkSize: chunkSize) }
}
