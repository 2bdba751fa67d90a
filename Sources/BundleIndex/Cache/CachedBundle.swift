/// A verified, extracted bundle in the cache: its directory and its in-memory index. Immutable, so
/// it can be shared by every request that serves from it without locks.
public final class CachedBundle: Sendable {
    public let contentHash: ContentHash
    /// `<cache root>/<hex>`; files live under `root/ui/`.
    public let root: String
    public let index: BundleIndexFile

    public init(contentHash: ContentHash, root: String, index: BundleIndexFile) {
        self.contentHash = contentHash
        self.root = root
        self.index = index
    }

    /// The files' `Last-Modified` (the publish time), when known.
    public var lastModified: Int64? { index.publishedAt }

    /// The manifest's UI entry (default `index.html`).
    public var entry: String { index.manifest.uiEntry }

    /// The absolute path of a file under `ui/` (the path must come from the index).
    public func filePath(_ relative: String) -> String { root + "/ui/" + relative }

    /// The absolute path of a variant (its path comes from the index).
    public func variantPath(_ variant: BundleIndexFile.Variant) -> String { root + "/" + variant.path }
}
