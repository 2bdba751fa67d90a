import Gateway

/// RFC 9110 §13.2.2: evaluates the conditional request headers in the order the RFC gives, for a
/// representation with a strong `etag` and an optional last-modified time (pure logic).
public struct Preconditions: Sendable {
    /// The outcome: go on (maybe honouring Range), 304, or 412.
    public enum Outcome: Equatable, Sendable {
        case proceed(honourRange: Bool)
        case notModified
        case preconditionFailed
    }

    public var ifMatch: String?
    public var ifNoneMatch: String?
    public var ifModifiedSince: String?
    public var ifUnmodifiedSince: String?
    public var ifRange: String?

    public init(ifMatch: String? = nil, ifNoneMatch: String? = nil, ifModifiedSince: String? = nil, ifUnmodifiedSince: String? = nil, ifRange: String? = nil) {
        self.ifMatch = ifMatch
        self.ifNoneMatch = ifNoneMatch
        self.ifModifiedSince = ifModifiedSince
        self.ifUnmodifiedSince = ifUnmodifiedSince
        self.ifRange = ifRange
    }

    /// Evaluates for a GET or HEAD (the only methods of /ext-ui/).
    public func evaluate(etag: EntityTag, lastModified: Int64?) -> Outcome {
        // 1. If-Match: strong comparison; `*` matches any current representation.
        if let ifMatch {
            switch EntityTag.parseList(ifMatch) {
            case .any: break
            case .tags(let tags): if !tags.contains(where: { $0.strongMatches(etag) }) { return .preconditionFailed }
            case .malformed: return .preconditionFailed
            }
        } else if let ifUnmodifiedSince, let lastModified, let date = HTTPDate.parse(ifUnmodifiedSince) {
            // 2. If-Unmodified-Since, only without If-Match.
            if lastModified > date { return .preconditionFailed }
        }
        // 3. If-None-Match: weak comparison; a match is 304 for GET and HEAD.
        if let ifNoneMatch {
            switch EntityTag.parseList(ifNoneMatch) {
            case .any: return .notModified
            case .tags(let tags): if tags.contains(where: { $0.weakMatches(etag) }) { return .notModified }
            case .malformed: break
            }
        } else if let ifModifiedSince, let lastModified, let date = HTTPDate.parse(ifModifiedSince) {
            // 4. If-Modified-Since, only without If-None-Match.
            if lastModified <= date { return .notModified }
        }
        // 5. If-Range decides whether Range is honoured: a strong ETag match, or the exact date.
        guard let ifRange else { return .proceed(honourRange: true) }
        let value = String(ifRange.trimmingOWS())
        if value.hasPrefix("\"") || value.hasPrefix("W/") {
            guard case .tags(let tags) = EntityTag.parseList(value), tags.count == 1 else { return .proceed(honourRange: false) }
            return .proceed(honourRange: tags[0].strongMatches(etag))
        }
        guard let lastModified, let date = HTTPDate.parse(value) else { return .proceed(honourRange: false) }
        return .proceed(honourRange: date == lastModified)
    }
}
