import BundleIndex

/// Matches a request's method and path against a manifest's declared endpoints (pure logic).
///
/// Rules: same method (HEAD matches as GET); same number of segments; literal segments equal;
/// `:name` segments match exactly one non-empty segment and are captured. When no endpoint
/// matches but the path matches under other methods, the result lists them for an `Allow` header.
public struct EndpointMatcher: Sendable {
    /// The outcome of matching one request.
    public enum Match: Sendable, Equatable {
        /// `endpoint` matched; `params` holds the captured `:name` segments.
        case matched(endpoint: ExtensionManifest.Endpoint, params: [String: String])
        /// The path is declared, but not for this method; `allowed` is sorted.
        case methodNotAllowed(allowed: [String])
        case notFound
    }

    public let endpoints: [ExtensionManifest.Endpoint]

    public init(endpoints: [ExtensionManifest.Endpoint]) { self.endpoints = endpoints }

    /// Matches `method` and `path` (the part after the extension id, starting with `/`, query removed).
    public func match(method: String, path: String) -> Match {
        let wanted = method.uppercased() == "HEAD" ? "GET" : method.uppercased()
        let segments = Self.segments(path)
        var allowed: Set<String> = []
        for endpoint in endpoints {
            guard let params = Self.capture(pattern: Self.segments(endpoint.path), segments: segments) else { continue }
            if endpoint.method == wanted { return .matched(endpoint: endpoint, params: params) }
            allowed.insert(endpoint.method)
        }
        if allowed.isEmpty { return .notFound }
        if allowed.contains("GET") { allowed.insert("HEAD") }
        return .methodNotAllowed(allowed: allowed.sorted())
    }

    static func segments(_ path: String) -> [Substring] {
        let trimmed = path.hasPrefix("/") ? path.dropFirst() : Substring(path)
        return trimmed.isEmpty ? [] : trimmed.split(separator: "/", omittingEmptySubsequences: false)
    }

    static func capture(pattern: [Substring], segments: [Substring]) -> [String: String]? {
        guard pattern.count == segments.count else { return nil }
        var params: [String: String] = [:]
        for (expected, actual) in zip(pattern, segments) {
            if expected.hasPrefix(":") {
                guard !actual.isEmpty else { return nil }
                params[String(expected.dropFirst())] = String(actual)
            } else if expected != actual {
                return nil
            }
        }
        return params
    }
}
