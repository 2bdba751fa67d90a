/// What `BundleAccess.bundleIndex` reports: a verified bundle's manifest and every archive entry
/// as it stands in the archive (path, kind, declared size), without extracting anything.
public struct BundleContents: Sendable, Equatable, Codable {
    /// One archive entry.
    public struct Entry: Sendable, Equatable, Codable {
        /// The entry's path (invalid UTF-8 shown with replacement characters).
        public var path: String
        /// `file`, `dir`, `symlink`, `hardlink`, `chardev`, `blockdev`, `fifo`, `socket` or `unknown`.
        public var type: String
        /// The size the entry's header declares (0 for non-files).
        public var size: Int64
    }

    public var contentHash: String
    public var manifest: ExtensionManifest
    /// The key id of the signer whose signature was accepted (nil when the policy checked none).
    public var signerKeyID: String?
    public var entries: [Entry]
}
