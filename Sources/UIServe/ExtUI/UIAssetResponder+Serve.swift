import BundleIndex
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import _NIOFileSystem

/// Serving one resolved file: validators, preconditions (RFC 9110 §13.2.2), ranges (§14) and the
/// response headers of `UIHeaderPolicy`.
extension UIAssetResponder {
    func serve(bundle: CachedBundle, relative: String, file: BundleIndexFile.File, request: Request,
               context: some RequestContext, requestID: String) async throws -> Response {
        // Content negotiation first: validators, lengths and ranges are those of the chosen encoding.
        let variants = file.variants ?? [:]
        let coding = ContentNegotiation.choose(acceptEncoding: request.headers[values: .acceptEncoding].nonEmptyJoined, available: Set(variants.keys))
        let variant = variants[coding]
        let tag = EntityTag.forFile(sha256: file.sha256, encoding: variant == nil ? nil : coding)
        let size = variant?.size ?? file.size
        let path = variant.map(bundle.variantPath) ?? bundle.filePath(relative)
        // The header block of this (file, encoding) is built once and reused; only the request id varies.
        var fields = headerBlocks.block(hash: bundle.contentHash, path: relative, coding: coding) {
            var fields = baseHeaders(file: file)
            fields[.eTag] = tag.description
            if !variants.isEmpty { fields[.vary] = "Accept-Encoding" }
            if variant != nil { fields[.contentEncoding] = coding }
            if let lastModified = bundle.lastModified { fields[.lastModified] = HTTPDate.format(lastModified) }
            return fields
        }
        fields[.requestID] = requestID
        let conditions = Preconditions(
            ifMatch: request.headers[values: .ifMatch].nonEmptyJoined, ifNoneMatch: request.headers[values: .ifNoneMatch].nonEmptyJoined,
            ifModifiedSince: request.headers[.ifModifiedSince], ifUnmodifiedSince: request.headers[.ifUnmodifiedSince],
            ifRange: request.headers[.ifRange])
        let honourRange: Bool
        switch conditions.evaluate(etag: tag, lastModified: bundle.lastModified) {
        case .notModified:
            return Response(status: .notModified, headers: fields)
        case .preconditionFailed:
            return ErrorResponse.make(.preconditionFailed, code: "precondition_failed", requestID: requestID, extra: [.eTag: tag.description])
        case .proceed(let honour):
            honourRange = honour
        }
        let range = honourRange ? request.headers[.range].map { ByteRange.evaluate($0, length: size) } ?? .whole : .whole
        switch range {
        case .whole:
            fields[.contentLength] = String(size)
            if request.method == .head || size == 0 { return Response(status: .ok, headers: fields) }
            return Response(status: .ok, headers: fields, body: try await body(bundle: bundle, path: path, size: size, range: 0...(size - 1)))
        case .unsatisfiable:
            return ErrorResponse.make(.rangeNotSatisfiable, code: "range_not_satisfiable", requestID: requestID,
                                      extra: [.contentRange: "bytes */\(size)", .eTag: tag.description])
        case .ranges(let ranges) where ranges.count == 1:
            let only = ranges[0]
            fields[.contentRange] = "bytes \(only.lowerBound)-\(only.upperBound)/\(size)"
            fields[.contentLength] = String(only.upperBound - only.lowerBound + 1)
            if request.method == .head { return Response(status: .partialContent, headers: fields) }
            return Response(status: .partialContent, headers: fields, body: try await body(bundle: bundle, path: path, size: size, range: only))
        case .ranges(let ranges):
            let boundary = "uiserve-" + String(file.sha256.prefix(16))
            let body = try Self.multipart(path: path, ranges: ranges, length: size, mediaType: file.mediaType, boundary: boundary)
            fields[.contentType] = "multipart/byteranges; boundary=\(boundary)"
            fields[.contentLength] = String(body.readableBytes)
            if request.method == .head { return Response(status: .partialContent, headers: fields) }
            return Response(status: .partialContent, headers: fields, body: ResponseBody(byteBuffer: body))
        }
    }

    /// Bytes per read when streaming a file from disk.
    static let chunkBytes: Int64 = 128 << 10

    /// The body for `range` of a file: from the hot cache (small files), or streamed from disk.
    func body(bundle: CachedBundle, path: String, size: Int64, range: ClosedRange<Int64>) async throws -> ResponseBody {
        switch try await hot.body(hash: bundle.contentHash, path: path, size: size, range: range) {
        case .buffer(let buffer):
            return ResponseBody(byteBuffer: buffer)
        case .stream(let path, let range):
            // One chunk read at a time, each only after the previous one was handed to the writer
            // (which waits while the socket is full): `readChunks` reads ahead several chunks per
            // stream. 20 slow clients of a 4 MiB file add ~5 MiB of RSS; 64 clients at loopback
            // speed still peak near 265 MiB (see the README's benchmark notes).
            return ResponseBody(contentLength: Int(range.upperBound - range.lowerBound + 1)) { writer in
                try await FileSystem.shared.withFileHandle(forReadingAt: FilePath(path)) { handle in
                    var offset = range.lowerBound
                    while offset <= range.upperBound {
                        let length = min(Self.chunkBytes, range.upperBound - offset + 1)
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

    /// Headers every successful asset response carries.
    func baseHeaders(file: BundleIndexFile.File) -> HTTPFields {
        var fields: HTTPFields = [:]
        fields[.contentType] = file.mediaType
        fields[.cacheControl] = UIHeaderPolicy.immutable
        fields[.xContentTypeOptions] = "nosniff"
        fields[.accessControlAllowOrigin] = "*"
        fields[.crossOriginResourcePolicy] = "cross-origin"
        fields[.referrerPolicy] = "no-referrer"
        fields[.permissionsPolicy] = UIHeaderPolicy.permissionsPolicy
        fields[.acceptRanges] = "bytes"
        if file.mediaType.hasPrefix("text/html") { fields[.contentSecurityPolicy] = headers.contentSecurityPolicy }
        return fields
    }

    /// A `multipart/byteranges` body (RFC 9110 §14.6). Range sets are only honoured when they add up
    /// to no more than the file (see `ByteRange`), so this buffer is bounded by the file size.
    static func multipart(path: String, ranges: [ClosedRange<Int64>], length: Int64, mediaType: String, boundary: String) throws -> ByteBuffer {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw BundleIndexError(.io, "\(path): cannot open") }
        defer { try? handle.close() }
        var buffer = ByteBuffer()
        for range in ranges {
            buffer.writeString("\r\n--\(boundary)\r\nContent-Type: \(mediaType)\r\nContent-Range: bytes \(range.lowerBound)-\(range.upperBound)/\(length)\r\n\r\n")
            try handle.seek(toOffset: UInt64(range.lowerBound))
            let data = try handle.read(upToCount: Int(range.upperBound - range.lowerBound + 1)) ?? Data()
            buffer.writeBytes(data)
        }
        buffer.writeString("\r\n--\(boundary)--\r\n")
        return buffer
    }
}
