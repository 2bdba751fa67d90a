import BundleIndex
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore
import Gateway

/// Answers `/ext-ui/` requests: parse the route, resolve the bundle, pick the file, evaluate
/// preconditions, and respond with the file and the headers of `UIHeaderPolicy`.
struct UIAssetResponder: Sendable {
    let resolver: BundleResolver
    let headers: UIHeaderPolicy
    let hot: HotAssetCache
    let headerBlocks = HeaderBlockCache()

    /// What a request needs before it can be answered: nothing more (a reply), or its bundle.
    enum Plan {
        case reply(AssetReply)
        case resolve(extensionID: String, hash: ContentHash, path: String, isDirectory: Bool, lastRawSegment: String)
    }

    /// Method and route checks: pure, no IO.
    func plan(method: HTTPRequest.Method, uri: URI, requestID: String) -> Plan {
        guard method == .get || method == .head else {
            return .reply(ErrorResponse.reply(.methodNotAllowed, code: "method_not_allowed", requestID: requestID, extra: [.allow: "GET, HEAD"]))
        }
        switch UIRoutePath.parse(rawPath: uri.path, rawQuery: uri.query) {
        case .notFound:
            return .reply(ErrorResponse.reply(.notFound, code: "not_found", requestID: requestID))
        case .invalid:
            return .reply(ErrorResponse.reply(.badRequest, code: "bad_request", requestID: requestID))
        case .redirect(let location):
            var fields: HTTPFields = [.location: location, .cacheControl: "public, max-age=3600", .requestID: requestID, .contentLength: "0"]
            fields[.accessControlAllowOrigin] = "*"
            return .reply(AssetReply(status: .permanentRedirect, fields: fields, body: .empty))
        case .asset(let extensionID, let hash, let path, let isDirectory, let lastRawSegment):
            return .resolve(extensionID: extensionID, hash: hash, path: path, isDirectory: isDirectory, lastRawSegment: lastRawSegment)
        }
    }

    /// The reply for a path in a resolved bundle: file lookup, then `serve`. Pure, no IO.
    func reply(bundle: CachedBundle, path: String, isDirectory: Bool, lastRawSegment: String, request: HTTPRequest, requestID: String) -> AssetReply {
        switch AssetLookup(bundle: bundle).find(path: path, isDirectory: isDirectory, navigation: Self.isNavigation(request.headerFields)) {
        case .file(let relative, let file):
            return serve(bundle: bundle, relative: relative, file: file, request: request, requestID: requestID)
        case .addSlash:
            return AssetReply(status: .permanentRedirect, fields: [.location: "./" + lastRawSegment + "/", .requestID: requestID, .contentLength: "0",
                                                                   .cacheControl: "public, max-age=3600"], body: .empty)
        case .notFound:
            return ErrorResponse.reply(.notFound, code: "not_found", requestID: requestID)
        }
    }

    /// The whole answer, resolving the bundle and reading the file as needed.
    func respond(to request: Request, context: some RequestContext, requestID: String) async throws -> Response {
        switch plan(method: request.method, uri: request.uri, requestID: requestID) {
        case .reply(let reply):
            return try await reply.response(hot: hot)
        case .resolve(let extensionID, let hash, let path, let isDirectory, let lastRawSegment):
            let bundle: CachedBundle
            do {
                bundle = try await resolver.resolve(extensionID: extensionID, hash: hash)
            } catch {
                context.logger.warning("bundle not served", metadata: ["hash": "\(hash)", "extension": "\(extensionID)", "error": "\(error)"])
                return ErrorResponse.make(for: error, requestID: requestID)
            }
            let reply = reply(bundle: bundle, path: path, isDirectory: isDirectory, lastRawSegment: lastRawSegment, request: request.head, requestID: requestID)
            // Pinned while the file is read, so eviction cannot move the tree under it.
            resolver.cache.pin(hash)
            defer { resolver.cache.unpin(hash) }
            return try await reply.response(hot: hot)
        }
    }

    /// An answer made without an await or a read; for a file of a resolved bundle, also what
    /// answering the same request again needs (`AnswerMemo`).
    struct ImmediateAnswer {
        var response: HTTPResponse
        var body: HotAssetCache.ResponseBodySource?
        /// Until when the registry's answer this rests on is fresh (a file of a resolved bundle).
        var registryFreshUntil: ContinuousClock.Instant?
        /// The body is the whole file.
        var isWholeFile = false
    }

    /// The answer when it needs no await and no read: the route's replies, and files of remembered,
    /// loaded bundles that the hot cache holds or that are large enough for `sendfile`. Nil means
    /// "answer through `respond`". Runs on the connection's event loop (see `FastPathHandler`).
    func answerImmediately(_ request: HTTPRequest, requestID: String) -> ImmediateAnswer? {
        switch plan(method: request.method, uri: URI(request.path ?? ""), requestID: requestID) {
        case .reply(let reply):
            return reply.immediate(hot: hot).map { ImmediateAnswer(response: $0, body: $1) }
        case .resolve(let extensionID, let hash, let path, let isDirectory, let lastRawSegment):
            guard let (bundle, freshUntil) = resolver.remembered(extensionID: extensionID, hash: hash) else { return nil }
            let reply = reply(bundle: bundle, path: path, isDirectory: isDirectory, lastRawSegment: lastRawSegment, request: request, requestID: requestID)
            guard let (response, body) = reply.immediate(hot: hot) else { return nil }
            var answer = ImmediateAnswer(response: response, body: body, registryFreshUntil: freshUntil)
            if case .file(_, _, let size, let range) = reply.body, range == 0...(size - 1) { answer.isWholeFile = true }
            return answer
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
