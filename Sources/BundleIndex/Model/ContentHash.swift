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
        var rest = Substring(text)
        if let colon = rest.firstIndex(of: ":") {
            guard rest[..<colon].lowercased() == "sha256" else { return nil }
            rest = rest[rest.index(after: colon)...]
        } else if rest.count > 9, rest.prefix(9).lowercased() == "sha256%3a" {
            rest = rest.dropFirst(9)
        }
        guard rest.utf8.count == 64 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(64)
        for byte in rest.utf8 {
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
