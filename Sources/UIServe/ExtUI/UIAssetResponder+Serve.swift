import BundleIndex
import HTTPTypes
import Hummingbird

/// Serving one resolved file: validators, preconditions (RFC 9110 §13.2.2), ranges (§14) and the
/// response headers of `UIHeaderPolicy`.
extension UIAssetResponder {
    func serve(bundle: CachedBundle, relative: String, file: BundleIndexFile.File, request: HTTPRequest, requestID: String) -> AssetReply {
        let asked = request.headerFields
        let isHead = request.method == .head
        // Content negotiation first: validators, lengths and ranges are those of the chosen encoding.
        let variants = file.variants ?? [:]
        let coding = ContentNegotiation.choose(acceptEncoding: asked[values: .acceptEncoding].nonEmptyJoined) { variants[$0] != nil }
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
            ifMatch: asked[values: .ifMatch].nonEmptyJoined, ifNoneMatch: asked[values: .ifNoneMatch].nonEmptyJoined,
            ifModifiedSince: asked[.ifModifiedSince], ifUnmodifiedSince: asked[.ifUnmodifiedSince],
            ifRange: asked[.ifRange])
        let honourRange: Bool
        switch conditions.evaluate(etag: tag, lastModified: bundle.lastModified) {
        case .notModified:
            return AssetReply(status: .notModified, fields: fields, body: .empty)
        case .preconditionFailed:
            return ErrorResponse.reply(.preconditionFailed, code: "precondition_failed", requestID: requestID, extra: [.eTag: tag.description])
        case .proceed(let honour):
            honourRange = honour
        }
        let range = honourRange ? asked[.range].map { ByteRange.evaluate($0, length: size) } ?? .whole : .whole
        switch range {
        case .whole:
            fields[.contentLength] = String(size)
            if isHead || size == 0 { return AssetReply(status: .ok, fields: fields, body: .empty) }
            return AssetReply(status: .ok, fields: fields, body: .file(hash: bundle.contentHash, path: path, size: size, range: 0...(size - 1)))
        case .unsatisfiable:
            return ErrorResponse.reply(.rangeNotSatisfiable, code: "range_not_satisfiable", requestID: requestID,
                                      extra: [.contentRange: "bytes */\(size)", .eTag: tag.description])
        case .ranges(let ranges) where ranges.count == 1:
            let only = ranges[0]
            fields[.contentRange] = "bytes \(only.lowerBound)-\(only.upperBound)/\(size)"
            fields[.contentLength] = String(only.upperBound - only.lowerBound + 1)
            if isHead { return AssetReply(status: .partialContent, fields: fields, body: .empty) }
            return AssetReply(status: .partialContent, fields: fields, body: .file(hash: bundle.contentHash, path: path, size: size, range: only))
        case .ranges(let ranges):
            let parts = MultipartByteRanges(ranges: ranges, length: size, mediaType: file.mediaType, boundary: "uiserve-" + String(file.sha256.prefix(16)))
            fields[.contentType] = parts.contentType
            fields[.contentLength] = String(parts.bodyLength)
            if isHead { return AssetReply(status: .partialContent, fields: fields, body: .empty) }
            return AssetReply(status: .partialContent, fields: fields, body: .multipart(path: path, parts))
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
}
