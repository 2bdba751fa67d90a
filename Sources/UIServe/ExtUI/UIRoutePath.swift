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
    /// Works on UTF-8 bytes and indices throughout: it runs on every request.
    public static func parse(rawPath: String, rawQuery: String? = nil) -> UIRoutePath {
        guard rawPath.hasPrefix(prefix) else { return .notFound }
        let rest = rawPath[rawPath.utf8.index(rawPath.startIndex, offsetBy: prefix.utf8.count)...]
        guard let firstSlash = rest.utf8.firstIndex(of: UInt8(ascii: "/")), firstSlash != rest.startIndex else { return .notFound }
        guard let extensionID = rest[..<firstSlash].percentDecodedString(), ExtensionRecord.isValidReference(extensionID) else {
            return .invalid(reason: "invalid extension id")
        }
        let afterHash = rest[rest.utf8.index(after: firstSlash)...]
        let secondSlash = afterHash.utf8.firstIndex(of: UInt8(ascii: "/"))
        let rawHash = secondSlash.map { afterHash[..<$0] } ?? afterHash
        guard let hash = ContentHash(parsing: rawHash) else { return .invalid(reason: "invalid content hash") }
        guard let secondSlash else {
            let query = rawQuery.map { $0.isEmpty ? "" : "?" + $0 } ?? ""
            return .redirect(location: "./" + rawHash + "/" + query)
        }
        let rawRest = afterHash[afterHash.utf8.index(after: secondSlash)...]
        if rawRest.isEmpty { return .asset(extensionID: extensionID, hash: hash, path: "", isDirectory: true, lastRawSegment: String(rawHash)) }
        if hasEncodedSlash(rawRest.utf8) { return .invalid(reason: "encoded slash in path") }
        guard let bytes = rawRest.percentDecoded() else { return .invalid(reason: "invalid percent-encoding in path") }
        let isDirectory = bytes.last == UInt8(ascii: "/")
        switch EntryPathPolicy().check(bytes) {
        case .refused(let violation): return .invalid(reason: violation.rawValue)
        case .allowed(let path):
            let trimmed = isDirectory ? rawRest[..<rawRest.utf8.index(before: rawRest.endIndex)] : rawRest
            let last = trimmed.utf8.lastIndex(of: UInt8(ascii: "/")).map { trimmed[trimmed.utf8.index(after: $0)...] } ?? trimmed
            return .asset(extensionID: extensionID, hash: hash, path: path, isDirectory: isDirectory, lastRawSegment: String(last))
        }
    }

    /// Whether the raw bytes hold `%2F` or `%5C` (either case): a slash that must not be decoded into the path.
    static func hasEncodedSlash(_ bytes: Substring.UTF8View) -> Bool {
        var index = bytes.startIndex
        while let percent = bytes[index...].firstIndex(of: UInt8(ascii: "%")) {
            let next = bytes.index(after: percent)
            guard next < bytes.endIndex, bytes.index(after: next) < bytes.endIndex else { return false }
            let high = bytes[next], low = bytes[bytes.index(after: next)] | 0x20
            if (high == UInt8(ascii: "2") && low == UInt8(ascii: "f")) || (high == UInt8(ascii: "5") && low == UInt8(ascii: "c")) { return true }
            index = next
        }
        return false
    }
}
