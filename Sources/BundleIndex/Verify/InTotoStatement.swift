import Foundation

/// The in-toto Statement v1 a bundle's envelope carries: subject = the archive's SHA-256, predicate
/// = which extension version the publisher says it is. Binding both is what stops a valid signature
/// from being replayed onto another bundle or another extension.
public struct InTotoStatement: Codable, Sendable, Equatable {
    /// One subject: a name and its digests.
    public struct Subject: Codable, Sendable, Equatable {
        public var name: String
        public var digest: [String: String]
    }

    /// Who published which version; compared with the manifest or the registry.
    public struct Predicate: Codable, Sendable, Equatable {
        public var publisher: String
        public var name: String
        public var version: String
    }

    public static let statementType = "https://in-toto.io/Statement/v1"
    public static let bundlePredicateType = "https://uiserve.dev/extension-bundle/v1"
    public static let subjectName = "bundle.tar.zst"

    public var type: String
    public var subject: [Subject]
    public var predicateType: String
    public var predicate: Predicate

    enum CodingKeys: String, CodingKey {
        case type = "_type"
        case subject, predicateType, predicate
    }

    /// The statement for a bundle with `hash` whose manifest is `identity`.
    public init(hash: ContentHash, identity: BundleIdentity) {
        type = Self.statementType
        subject = [Subject(name: Self.subjectName, digest: ["sha256": hash.hex])]
        predicateType = Self.bundlePredicateType
        predicate = Predicate(publisher: identity.publisher, name: identity.name, version: identity.version)
    }

    /// Canonical bytes (sorted keys, compact) used as the envelope payload.
    public func encoded() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array((try? encoder.encode(self)) ?? Data())
    }

    /// The SHA-256 digests the subjects claim, lowercased.
    public var subjectSHA256: [String] { subject.compactMap { $0.digest["sha256"]?.lowercased() } }
}
