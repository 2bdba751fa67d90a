import Gateway

import BundleIndex

/// Parses and validates the raw (still percent-encoded) path of an `/ext-ui/` request (pure logic).
///
/// `/ext-ui/{extensionId}/{contentHash}/{path…}`: the hash in any accepted form; the path
/// percent-decoded exactly once, after refusing encoded slashes (`%2F`, `%5C`), then checked by
/// `EntryPathPolicy` (NUL, control characters, backslash, `.`/`..`, empty segments, invalid UTF-8).
/// Without the slash after the hash, the answer is a redirect to the same path with one.
public enum UIRoutePath: Equatable, Sendable {
    /// A valid asset request. `path` is decoded and relative to the bundle's `ui/` (empty for the
    /// root); `isDirectory` when it ended with `/`; `lastRawSegment` for relative redirects.
    case asset(extensionID: String, hash: ContentHash, path: String, isDirectory: Bool, lastRawSegment: String)
    /// 308 to this relative Location (always `./…`, never `//host` nor a scheme-like `sha256:`).
    case redirect(location: String)
    /// 400 with this reason.
    case invalid(reason: String)
    /// Not an `/ext-ui/{ext}/{hash}` path at all (404).
    case notFound

    static let prefix = "/ext-ui/"

    /// Parses `rawPath` (the request target's path, percent-encoded as received) and `rawQuery`.
    public static func parse(rawPath: String, rawQuery: String? = nil) -> UIRoutePath {
        guard rawPath.hasPrefix(prefix) else { return .notFound }
        let rest = rawPath.dropFirst(prefix.count)
        let parts = rest.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, !parts[0].isEmpty else { return .notFound }
        guard let extBytes = parts[0].percentDecoded(), let extensionID = String(validating: extBytes, as: UTF8.self),
            ExtensionRecord.isValidReference(extensionID)
        else { return .invalid(reason: "invalid extension id") }
        guard let hash = ContentHash(parsing: parts[1]) else { return .invalid(reason: "invalid content hash") }
        if parts.count == 2 {
            let query = rawQuery.map { $0.isEmpty ? "" : "?" + $0 } ?? ""
            return .redirect(location: "./" + parts[1] + "/" + query)
        }
        let rawRest = parts[2]
        if rawRest.isEmpty { return .asset(extensionID: extensionID, hash: hash, path: "", isDirectory: true, lastRawSegment: String(parts[1])) }
        let lowered = rawRest.lowercased()
        if lowered.contains("%2f") || lowered.contains("%5c") { return .invalid(reason: "encoded slash in path") }
        guard let bytes = rawRest.percentDecoded() else { return .invalid(reason: "invalid percent-encoding in path") }
        let isDirectory = bytes.last == UInt8(ascii: "/")
        switch EntryPathPolicy().check(bytes) {
        case .refused(let violation): return .invalid(reason: violation.rawValue)
        case .allowed(let path):
            let trimmed = rawRest.hasSuffix("/") ? rawRest.dropLast() : rawRest
            let last = trimmed.split(separator: "/").last.map(String.init) ?? ""
            return .asset(extensionID: extensionID, hash: hash, path: path, isDirectory: isDirectory, lastRawSegment: last)
        }
    }
}
