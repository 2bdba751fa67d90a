import BundleIndex
import Foundation
import HTTPTypes
import Hummingbird

/// Small JSON error responses (`{"error": "<code>", "requestId": "…"}`) with the caching rules of
/// errors: 404 may be cached briefly, 5xx never, and nothing that is an error is ever `immutable`.
/// The one place where BundleIndex errors become HTTP statuses; internals never reach the client.
enum ErrorResponse {
    static func make(_ status: HTTPResponse.Status, code: String, requestID: String, extra: HTTPFields = [:]) -> Response {
        let (fields, body) = parts(status, code: code, requestID: requestID, extra: extra)
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: body))
    }

    /// The same error as an `AssetReply` (for the `/ext-ui/` paths, which may write it on the event loop).
    static func reply(_ status: HTTPResponse.Status, code: String, requestID: String, extra: HTTPFields = [:]) -> AssetReply {
        let (fields, body) = parts(status, code: code, requestID: requestID, extra: extra)
        return AssetReply(status: status, fields: fields, body: .buffer(body))
    }

    /// The fields and body of an error, for writers of serialized answers.
    static func parts(_ status: HTTPResponse.Status, code: String, requestID: String, extra: HTTPFields) -> (HTTPFields, ByteBuffer) {
        var headers: HTTPFields = [:]
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.xContentTypeOptions] = "nosniff"
        headers[.requestID] = requestID
        switch status.code {
        case 404: headers[.cacheControl] = "public, max-age=60"
        case 500...: headers[.cacheControl] = "no-store"
        default: headers[.cacheControl] = "no-cache"
        }
        for field in extra { headers[field.name] = field.value }
        let body = #"{"error":"\#(code)","requestId":"\#(requestID)"}"#
        headers[.contentLength] = String(body.utf8.count)
        return (headers, ByteBuffer(string: body))
    }

    /// Maps a failure to resolve or load a bundle.
    static func make(for error: any Error, requestID: String) -> Response {
        guard let error = error as? BundleIndexError else { return make(.internalServerError, code: "internal_error", requestID: requestID) }
        switch error.code {
        case .notFound:
            return make(.notFound, code: "not_found", requestID: requestID)
        case .revoked:
            return make(.gone, code: "bundle_revoked", requestID: requestID, extra: [.cacheControl: "no-store"])
        case .hashMismatch, .signatureInvalid, .refusedEntry, .invalidManifest, .invalidBundleLayout, .archive, .tooLarge, .invalidEnvelope:
            return make(.badGateway, code: "bundle_verification_failed", requestID: requestID)
        default:
            return make(.serviceUnavailable, code: "bundle_unavailable", requestID: requestID, extra: [.retryAfter: "5"])
        }
    }
}

extension HTTPField.Name {
    static let requestID = HTTPField.Name("x-request-id")!
    static let xContentTypeOptions = HTTPField.Name("X-Content-Type-Options")!
    static let crossOriginResourcePolicy = HTTPField.Name("Cross-Origin-Resource-Policy")!
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
    static let permissionsPolicy = HTTPField.Name("Permissions-Policy")!
    static let secFetchDest = HTTPField.Name("Sec-Fetch-Dest")!
}
