import BundleIndex
import HTTPTypes
import Hummingbird
import NIOCore
import NIOPosix
import _NIOFileSystem

/// An `/ext-ui/` response decided but not yet written: status, header fields and where the body
/// comes from. Deciding is pure and synchronous; only a body on disk needs IO. So the same reply is
/// written either by Hummingbird (`response(hot:)`, any body) or on the event loop by
/// `FastPathHandler` (`immediate(hot:)`: bodies in memory, or large files by `sendfile`), and both
/// paths send the same bytes.
struct AssetReply: Sendable {
    enum Body: Sendable {
        case empty
        case buffer(ByteBuffer)
        /// `range` of the file at `path` (`size` bytes, from the index).
        case file(hash: ContentHash, path: String, size: Int64, range: ClosedRange<Int64>)
        /// Several ranges of the file at `path`.
        case multipart(path: String, MultipartByteRanges)
    }

    var status: HTTPResponse.Status
    var fields: HTTPFields
    var body: Body

    /// Bytes per read when streaming a file from disk.
    static let chunkBytes: Int64 = 128 << 10

    /// The response head and a body that needs no read (nil for none): held bytes, or a file too
    /// large for the hot cache, which the event loop writes by `sendfile`. Nil when a small file is
    /// not held yet (the async path reads it into the hot cache) or the body is multipart.
    func immediate(hot: HotAssetCache) -> (HTTPResponse, HotAssetCache.ResponseBodySource?)? {
        let head = HTTPResponse(status: status, headerFields: fields)
        switch body {
        case .empty: return (head, nil)
        case .buffer(let buffer): return (head, .buffer(buffer))
        case .file(let hash, let path, let size, let range):
            return hot.bodyWithoutReading(hash: hash, path: path, size: size, range: range).map { (head, $0) }
        case .multipart: return nil
        }
    }

    /// A Hummingbird response: file bodies from the hot cache (read on first use) or streamed.
    func response(hot: HotAssetCache) async throws -> Response {
        switch body {
        case .empty:
            return Response(status: status, headers: fields)
        case .buffer(let buffer):
            return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: buffer))
        case .multipart(let path, let parts):
            // Blocking reads: on NIO's blocking pool, never on a thread that serves requests.
            let body = try await NIOThreadPool.singleton.runIfActive { try parts.read(path: path) }
            return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: body))
        case .file(let hash, let path, let size, let range):
            switch try await hot.body(hash: hash, path: path, size: size, range: range) {
            case .buffer(let buffer):
                return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: buffer))
            case .stream(let path, let range):
                return Response(status: status, headers: fields, body: Self.stream(path: path, range: range))
            }
        }
    }

    /// One chunk read at a time, each only after the previous one was handed to the writer (which
    /// waits while the socket is full): `readChunks` reads ahead several chunks per stream. 20 slow
    /// clients of a 4 MiB file add ~5 MiB of RSS (see the README's benchmark notes).
    private static func stream(path: String, range: ClosedRange<Int64>) -> ResponseBody {
        ResponseBody(contentLength: Int(range.upperBound - range.lowerBound + 1)) { writer in
            try await FileSystem.shared.withFileHandle(forReadingAt: FilePath(path)) { handle in
                var offset = range.lowerBound
                while offset <= range.upperBound {
                    let length = min(chunkBytes, range.upperBound - offset + 1)
                    let chunk = try await handle.readChunk(fromAbsoluteOffset: offset, length: .bytes(length))
                    guard chunk.readableBytes > 0 else { throw BundleIndexError(.io, "\(path): shorter than its index says") }
                    try await writer.write(chunk)
                    offset += Int64(chunk.readableBytes)
                }
            }
            try await writer.finish(nil)
        }
    }
}
