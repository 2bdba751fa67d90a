import BundleIndex
import Foundation
import HTTPTypes
import Hummingbird
import Gateway

/// Answers `/ext-ui/` requests: parse the route, resolve the bundle, pick the file, evaluate
/// preconditions, and respond with the file and the headers of `UIHeaderPolicy`.
struct UIAssetResponder: Sendable {
    let resolver: BundleResolver
    let headers: UIHeaderPolicy
    let hot: HotAssetCache
    let headerBlocks = HeaderBlockCache()

    func respond(to request: Request, context: some RequestContext, requestID: String) async throws -> Response {
        guard request.method == .get || request.method == .head else {
            return ErrorResponse.make(.methodNotAllowed, code: "method_not_allowed", requestID: requestID, extra: [.allow: "GET, HEAD"])
        }
        let route = UIRoutePath.parse(rawPath: request.uri.path, rawQuery: request.uri.query)
        switch route {
        case .notFound:
            return ErrorResponse.make(.notFound, code: "not_found", requestID: requestID)
        case .invalid:
            return ErrorResponse.make(.badRequest, code: "bad_request", requestID: requestID)
        case .redirect(let location):
            var fields: HTTPFields = [.location: location, .cacheControl: "public, max-age=3600", .requestID: requestID, .contentLength: "0"]
            fields[.accessControlAllowOrigin] = "*"
            return Response(status: .permanentRedirect, headers: fields)
        case .asset(let extensionID, let hash, let path, let isDirectory, let lastRawSegment):
            let bundle: CachedBundle
            do {
                bundle = try await resolver.resolve(extensionID: extensionID, hash: hash)
            } catch {
                context.logger.warning("bundle not served", metadata: ["hash": "\(hash)", "extension": "\(extensionID)", "error": "\(error)"])
                return ErrorResponse.make(for: error, requestID: requestID)
            }
            switch AssetLookup(bundle: bundle).find(path: path, isDirectory: isDirectory, navigation: Self.isNavigation(request.headers)) {
            case .file(let relative, let file):
                // Pinned while the response is made, so eviction cannot move the tree under it.
                resolver.cache.pin(hash)
                defer { resolver.cache.unpin(hash) }
                return try await serve(bundle: bundle, relative: relative, file: file, request: request, context: context, requestID: requestID)
            case .addSlash:
                return Response(status: .permanentRedirect, headers: [.location: "./" + lastRawSegment + "/", .requestID: requestID, .contentLength: "0",
                                                                     .cacheControl: "public, max-age=3600"])
            case .notFound:
                return ErrorResponse.make(.notFound, code: "not_found", requestID: requestID)
            }
        }
    }

    /// A navigation: `Sec-Fetch-Dest: document|iframe`, or an Accept that prefers text/html.
    static func isNavigation(_ headers: HTTPFields) -> Bool {
        if let dest = headers[.secFetchDest]?.lowercased() { return dest == "document" || dest == "iframe" }
        guard let accept = headers[values: .accept].nonEmptyJoined else { return false }
        var html = -1.0, best = -1.0
        for item in accept.split(separator: ",") {
            let parts = item.split(separator: ";").map { $0.trimmingOWS().lowercased() }
            guard let type = parts.first, !type.isEmpty else { continue }
            var q = 1.0
            for parameter in parts.dropFirst() where parameter.hasPrefix("q=") { q = Double(parameter.dropFirst(2)) ?? 0 }
            if type == "text/html" { html = max(html, q) } else { best = max(best, q) }
        }
        return html > 0 && html >= best
    }
}

extension Array where Element == String {
    /// The field lines joined as one comma-separated value, or nil when there are none.
    var nonEmptyJoined: String? { isEmpty ? nil : joined(separator: ", ") }
}
