import Foundation

/// Content hashes that must never be served (`EXT_BUNDLE_DENYLIST`): one hash per line in any
/// accepted form, `#` comments and blank lines ignored. A bad line is an error naming it, so a
/// typo cannot silently leave a revoked bundle online.
public enum Denylist {
    public static func parse(_ text: String, source: String) throws -> Set<ContentHash> {
        var hashes: Set<ContentHash> = []
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first?.trimmingCharacters(in: .whitespaces) ?? ""
            if line.isEmpty { continue }
            guard let hash = ContentHash(parsing: line) else {
                throw BundleIndexError(.configuration, "\(source):\(number + 1): '\(line.prefix(80))' is not a content hash")
            }
            hashes.insert(hash)
        }
        return hashes
    }

    public static func load(path: String) throws -> Set<ContentHash> {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw BundleIndexError(.io, "\(path): cannot read the denylist")
        }
        return try parse(String(decoding: data, as: UTF8.self), source: path)
    }
}
