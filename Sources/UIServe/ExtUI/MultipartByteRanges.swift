import BundleIndex
import Foundation
import NIOCore

/// A `multipart/byteranges` body (RFC 9110 §14.6) for several ranges of one file. Its length is
/// known from the ranges alone, so `Content-Length` (and a HEAD answer) needs no read. Range sets
/// are only honoured when they add up to no more than the file (see `ByteRange`), so the body is
/// bounded by the file size.
struct MultipartByteRanges: Sendable {
    let ranges: [ClosedRange<Int64>]
    let length: Int64
    let mediaType: String
    let boundary: String

    private func partHeader(_ range: ClosedRange<Int64>) -> String {
        "\r\n--\(boundary)\r\nContent-Type: \(mediaType)\r\nContent-Range: bytes \(range.lowerBound)-\(range.upperBound)/\(length)\r\n\r\n"
    }

    private var closing: String { "\r\n--\(boundary)--\r\n" }

    var contentType: String { "multipart/byteranges; boundary=\(boundary)" }

    /// The body's length in bytes.
    var bodyLength: Int64 {
        ranges.reduce(Int64(closing.utf8.count)) { $0 + Int64(partHeader($1).utf8.count) + $1.upperBound - $1.lowerBound + 1 }
    }

    /// The body, read from the file at `path`.
    func read(path: String) throws -> ByteBuffer {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw BundleIndexError(.io, "\(path): cannot open") }
        defer { try? handle.close() }
        var buffer = ByteBuffer()
        buffer.reserveCapacity(Int(bodyLength))
        for range in ranges {
            buffer.writeString(partHeader(range))
            try handle.seek(toOffset: UInt64(range.lowerBound))
            let count = Int(range.upperBound - range.lowerBound + 1)
            let data = try handle.read(upToCount: count) ?? Data()
            guard data.count == count else { throw BundleIndexError(.io, "\(path): shorter than its index says") }
            buffer.writeBytes(data)
        }
        buffer.writeString(closing)
        return buffer
    }
}
