/// Where bundle archives and their signature sidecars live (a folder, or S3-compatible storage).
///
/// Owned by BundleIndex, its consumer, so the cache can be tested against fakes as well as real
/// stores. Keys are relative, `/`-separated object keys such as `sha256/<hex>/bundle.tar.zst`.
public protocol BundleStore: Sendable {
    /// Streams the object at `key` into a new file at `path`, hashing as it goes, and refuses more
    /// than `limit` bytes (`tooLarge`). Throws `notFound`, `forbidden` or `unavailable` by cause.
    func fetch(key: String, to path: String, limit: Int64) async throws -> FetchedObject

    /// Reads a small object (a signature sidecar) whole, refusing more than `limit` bytes; nil when absent.
    func read(key: String, limit: Int) async throws -> [UInt8]?

    /// Stores the file at `path` under `key`; throws `alreadyExists` rather than overwrite.
    func put(key: String, from path: String) async throws

    /// Whether the store answers at all (for readiness checks).
    func probe() async throws

    /// A short description for logs and start-up output (never credentials).
    var label: String { get }
}

/// What a fetch wrote: its byte count and the SHA-256 of exactly those bytes.
public struct FetchedObject: Sendable, Equatable {
    public var size: Int64
    public var hash: ContentHash

    public init(size: Int64, hash: ContentHash) {
        self.size = size
        self.hash = hash
    }
}
