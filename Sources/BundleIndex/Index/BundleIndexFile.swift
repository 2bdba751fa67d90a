import Foundation

/// The persisted index of one extracted bundle (`<cache>/<hex>/index.json`): every file under the
/// extracted prefix with its size, SHA-256 and media type, plus the manifest. Written before the
/// tree is renamed into place, so a tree without it is an interrupted extraction.
public struct BundleIndexFile: Codable, Sendable, Equatable {
    /// One extracted file.
    public struct File: Codable, Sendable, Equatable {
        public var size: Int64
        /// Lowercase hex SHA-256 of the file's bytes.
        public var sha256: String
        public var mediaType: String
        /// Content coding (`br`, `gzip`) → precompressed variant.
        public var variants: [String: Variant]?

        public init(size: Int64, sha256: String, mediaType: String, variants: [String: Variant]? = nil) {
            self.size = size
            self.sha256 = sha256
            self.mediaType = mediaType
            self.variants = variants
        }
    }

    /// A precompressed form of a file: made at extraction, or shipped in the bundle (`x.js.br`).
    public struct Variant: Codable, Sendable, Equatable {
        /// Where it is, relative to the bundle's cache directory (`variants/br/app.js`, `ui/app.js.br`).
        public var path: String
        public var size: Int64
        public var sha256: String

        public init(path: String, size: Int64, sha256: String) {
            self.path = path
            self.size = size
            self.sha256 = sha256
        }
    }

    /// Bumped when the layout changes; older indexes are re-extracted.
    public static let currentFormat = 2
    public static let fileName = "index.json"

    public var format: Int
    public var contentHash: ContentHash
    public var manifest: ExtensionManifest
    /// The key signer that made the accepted signature, when one was checked.
    public var signerKeyID: String?
    /// Path relative to the extracted prefix (`index.html`, `assets/app.js`) → file.
    public var files: [String: File]
    /// When the registry says the bundle was published (seconds since 1970), for `Last-Modified`.
    public var publishedAt: Int64?
    /// When the signature was verified (seconds since 1970): certificate dates are judged at this
    /// time when the trust bundle changes, so an expiring root does not take down bundles verified in time.
    public var verifiedAt: Int64?
    /// The DSSE envelope that was accepted, kept to re-check it when the trust bundle changes.
    public var envelope: DSSEEnvelope?

    public init(contentHash: ContentHash, manifest: ExtensionManifest, signerKeyID: String?, files: [String: File], publishedAt: Int64? = nil,
                verifiedAt: Int64? = nil, envelope: DSSEEnvelope? = nil) {
        self.format = Self.currentFormat
        self.contentHash = contentHash
        self.manifest = manifest
        self.signerKeyID = signerKeyID
        self.files = files
        self.publishedAt = publishedAt
        self.verifiedAt = verifiedAt
        self.envelope = envelope
    }

    /// Bytes on disk: every file and every generated variant.
    public var totalBytes: Int64 {
        files.values.reduce(Int64(0)) { total, file in
            total + file.size + (file.variants ?? [:]).values.filter { $0.path.hasPrefix("variants/") }.reduce(Int64(0)) { $0 + $1.size }
        }
    }

    /// Reads the index of the tree at `directory`; nil when absent, unreadable or of another format.
    public static func load(directory: String) -> BundleIndexFile? {
        guard let data = FileManager.default.contents(atPath: directory + "/" + fileName),
            let index = try? JSONDecoder().decode(BundleIndexFile.self, from: data), index.format == currentFormat
        else { return nil }
        return index
    }

    /// Writes the index into `directory`.
    public func write(directory: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(self)
        guard FileManager.default.createFile(atPath: directory + "/" + Self.fileName, contents: data, attributes: [.posixPermissions: 0o444]) else {
            throw BundleIndexError(.io, "\(directory)/\(Self.fileName): cannot write")
        }
    }
}
