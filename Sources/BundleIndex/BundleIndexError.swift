/// The one error type of BundleIndex: a stable `code` for programs, a one-line `message` for people
/// (it names the file or entry and the problem), and the underlying `cause` when there is one.
public struct BundleIndexError: Error, CustomStringConvertible, Sendable {
    /// A stable, matchable error kind; a struct over a private enum so new kinds are not breaking.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Kind: String, Sendable {
            case invalidContentHash = "invalid_content_hash"
            case invalidManifest = "invalid_manifest"
            case invalidBundleLayout = "invalid_bundle_layout"
            case archive = "archive_error"
            case crypto = "crypto_error"
            case invalidKey = "invalid_key"
            case invalidEnvelope = "invalid_envelope"
            case io = "io_error"
            case notFound = "not_found"
            case forbidden = "forbidden"
            case unavailable = "unavailable"
            case tooLarge = "too_large"
            case hashMismatch = "hash_mismatch"
            case signatureInvalid = "signature_invalid"
            case refusedEntry = "refused_entry"
            case alreadyExists = "already_exists"
            case registry = "registry_error"
            case configuration = "configuration_error"
            case revoked = "revoked"
            case refused = "refused"
        }
        private let kind: Kind
        private init(_ kind: Kind) { self.kind = kind }

        /// Text is not a content hash in any accepted form.
        public static let invalidContentHash = Code(.invalidContentHash)
        /// manifest.json is missing, not JSON, or breaks a manifest rule.
        public static let invalidManifest = Code(.invalidManifest)
        /// A folder or archive does not have the bundle's required layout.
        public static let invalidBundleLayout = Code(.invalidBundleLayout)
        /// libarchive could not read or write an archive.
        public static let archive = Code(.archive)
        /// OpenSSL failed at an operation that should not fail on valid input.
        public static let crypto = Code(.crypto)
        /// A key, certificate or trust bundle could not be loaded or has an unsupported algorithm.
        public static let invalidKey = Code(.invalidKey)
        /// A DSSE envelope is not well-formed JSON of the expected shape.
        public static let invalidEnvelope = Code(.invalidEnvelope)
        /// A file could not be read or written.
        public static let io = Code(.io)
        /// A store object, registry row or bundle does not exist.
        public static let notFound = Code(.notFound)
        /// The store refused our credentials (HTTP 403); retrying will not help.
        public static let forbidden = Code(.forbidden)
        /// The store or registry could not be reached, or answered with a server error.
        public static let unavailable = Code(.unavailable)
        /// An object, file or archive exceeded a configured size limit.
        public static let tooLarge = Code(.tooLarge)
        /// Downloaded bytes do not hash to the content hash they were fetched for.
        public static let hashMismatch = Code(.hashMismatch)
        /// A bundle's signature envelope is missing or not acceptable under the signature policy.
        public static let signatureInvalid = Code(.signatureInvalid)
        /// An archive entry broke an extraction rule; the bundle is refused as a whole.
        public static let refusedEntry = Code(.refusedEntry)
        /// A store key exists already; content-addressed objects are never overwritten.
        public static let alreadyExists = Code(.alreadyExists)
        /// A registry query or migration failed.
        public static let registry = Code(.registry)
        /// A setting is malformed or inconsistent.
        public static let configuration = Code(.configuration)
        /// The bundle's content hash is on the denylist.
        public static let revoked = Code(.revoked)
        /// A registry change the rules forbid (installing a yanked version, granting a capability
        /// the version does not declare).
        public static let refused = Code(.refused)

        public var description: String { kind.rawValue }
    }

    public let code: Code
    public let message: String
    public let cause: (any Error)?

    public init(_ code: Code, _ message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String { message }
}
