/// The SHA-256 of a stored bundle archive's exact bytes: the bundle's identity everywhere.
///
/// Canonical text is `sha256:<64 lowercase hex>`. Parsing also accepts the percent-encoded form
/// `sha256%3A<hex>` (URLs) and bare hex; upper-case hex is normalised. Anything else is refused,
/// because a hash that could mean two things could name two bundles.
public struct ContentHash: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    /// The 64 lowercase hex digits.
    public let hex: String

    /// Parses any accepted form; `nil` for wrong length, non-hex digits or another algorithm.
    public init?(parsing text: some StringProtocol) {
        self.init(parsing: Substring(text))
    }

    /// The same for a substring, concrete so the per-request call from another module is not
    /// generic: `sha256:`, `sha256%3A` (any case) or nothing, then 64 hex digits.
    public init?(parsing text: Substring) {
        var rest = text.utf8[...]
        func dropPrefix(_ prefix: StaticString) -> Bool {
            let count = prefix.utf8CodeUnitCount
            guard rest.count >= count else { return false }
            // ASCII letters compare without case; every other byte exactly.
            func lower(_ byte: UInt8) -> UInt8 { (0x41...0x5a).contains(byte) ? byte | 0x20 : byte }
            let matches = prefix.withUTF8Buffer { expected in zip(rest.prefix(count), expected).allSatisfy { lower($0) == lower($1) } }
            if matches { rest = rest.dropFirst(count) }
            return matches
        }
        if rest.count != 64 {
            guard dropPrefix("sha256:") || dropPrefix("sha256%3a") else { return nil }
        }
        guard rest.count == 64 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(64)
        for byte in rest {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"): out.append(byte)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): out.append(byte + 32)
            default: return nil
            }
        }
        self.hex = String(decoding: out, as: UTF8.self)
    }

    /// Wraps a 32-byte digest.
    public init(digest: some Sequence<UInt8>) {
        let table = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        for byte in digest {
            out.append(table[Int(byte >> 4)])
            out.append(table[Int(byte & 0x0f)])
        }
        precondition(out.count == 64, "a SHA-256 digest has 32 bytes")
        self.hex = String(decoding: out, as: UTF8.self)
    }

    /// Parses like `init?(parsing:)` but throws an error that quotes the refused text.
    public static func parse(_ text: String) throws -> ContentHash {
        guard let hash = ContentHash(parsing: text) else {
            throw BundleIndexError(.invalidContentHash, "'\(text.prefix(80))' is not a content hash (expected sha256:<64 hex digits>)")
        }
        return hash
    }

    /// `sha256:<hex>`.
    public var description: String { "sha256:" + hex }

    public static func < (lhs: ContentHash, rhs: ContentHash) -> Bool { lhs.hex < rhs.hex }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        self = try ContentHash.parse(text)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
