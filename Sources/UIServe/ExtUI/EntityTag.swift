import Gateway

/// An HTTP entity tag (RFC 9110 §8.8.3) and the comparisons of §8.8.3.2 (pure logic).
public struct EntityTag: Equatable, Sendable, CustomStringConvertible {
    public var opaque: String
    public var isWeak: Bool

    public init(opaque: String, isWeak: Bool = false) {
        self.opaque = opaque
        self.isWeak = isWeak
    }

    /// The strong tag uiserve sends for a file: its SHA-256 (128 bits are plenty for a validator),
    /// with the content coding appended so each encoding has its own tag.
    public static func forFile(sha256: String, encoding: String? = nil) -> EntityTag {
        EntityTag(opaque: String(sha256.prefix(32)) + (encoding.map { "-" + $0 } ?? ""))
    }

    /// `"opaque"` or `W/"opaque"`.
    public var description: String { (isWeak ? "W/" : "") + "\"" + opaque + "\"" }

    /// Strong comparison: both strong and equal.
    public func strongMatches(_ other: EntityTag) -> Bool { !isWeak && !other.isWeak && opaque == other.opaque }

    /// Weak comparison: equal opaque tags, weakness ignored.
    public func weakMatches(_ other: EntityTag) -> Bool { opaque == other.opaque }

    /// A parsed `If-Match` / `If-None-Match` field value: `*` or a list of tags.
    public enum Condition: Equatable, Sendable {
        case any
        case tags([EntityTag])
        /// The field was not a valid list; RFC 9110 says to ignore such a field.
        case malformed
    }

    /// Parses `*` or a comma-separated list of entity tags (several field lines joined with commas).
    public static func parseList(_ value: String) -> Condition {
        let trimmed = value.trimmingOWS()
        if trimmed == "*" { return .any }
        var tags: [EntityTag] = []
        var rest = Substring(trimmed)
        while true {
            rest = rest.drop { $0 == " " || $0 == "\t" || $0 == "," }
            if rest.isEmpty { break }
            var weak = false
            if rest.hasPrefix("W/") {
                weak = true
                rest = rest.dropFirst(2)
            }
            guard rest.first == "\"" else { return .malformed }
            rest = rest.dropFirst()
            guard let close = rest.firstIndex(of: "\"") else { return .malformed }
            let opaque = rest[..<close]
            guard opaque.unicodeScalars.allSatisfy({ $0.value == 0x21 || (0x23...0x7e).contains($0.value) || $0.value >= 0x80 }) else { return .malformed }
            tags.append(EntityTag(opaque: String(opaque), isWeak: weak))
            rest = rest[rest.index(after: close)...]
            let next = rest.drop { $0 == " " || $0 == "\t" }
            guard next.isEmpty || next.first == "," else { return .malformed }
            rest = next
        }
        return tags.isEmpty ? .malformed : .tags(tags)
    }
}
