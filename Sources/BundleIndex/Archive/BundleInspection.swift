import Foundation

/// What a bundle archive holds: its content hash, every entry's header, and its manifest.
/// Reading stops at nothing short of the archive's end, so a truncated archive is reported.
public struct BundleInspection: Sendable {
    /// The manifest may be read at most this large.
    public static let manifestLimit = 1 << 20

    public var contentHash: ContentHash
    public var entries: [ArchiveEntry]
    /// The parsed manifest, or the one-line reason it could not be.
    public var manifest: Result<ExtensionManifest, BundleIndexError>

    /// Reads the archive at `path` once for its entries and manifest, and once for its hash.
    public static func inspect(path: String) throws -> BundleInspection {
        let hash = try FileDigest.contentHash(ofFileAt: path)
        let reader = try TarArchive.Reader(path: path)
        var entries: [ArchiveEntry] = []
        var manifestBytes: [UInt8]? = nil
        var manifestTooLarge = false
        while let entry = try reader.next() {
            entries.append(entry)
            if entry.kind == .file, entry.pathBytes == Array("manifest.json".utf8) || entry.pathBytes == Array("./manifest.json".utf8) {
                if manifestBytes != nil {
                    return BundleInspection(contentHash: hash, entries: try rest(reader, entries),
                        manifest: .failure(BundleIndexError(.invalidManifest, "\(path): manifest.json appears twice")))
                }
                manifestBytes = try reader.readAll(limit: manifestLimit)
                manifestTooLarge = manifestBytes == nil
            } else if entry.kind == .file {
                // Drain so truncation anywhere in the archive is detected.
                _ = try reader.readAll(limit: Int.max)
            }
        }
        let manifest: Result<ExtensionManifest, BundleIndexError>
        if manifestTooLarge {
            manifest = .failure(BundleIndexError(.invalidManifest, "\(path): manifest.json is larger than 1 MiB"))
        } else if let manifestBytes {
            do {
                manifest = .success(try ExtensionManifest.parse(Data(manifestBytes), source: "\(path): manifest.json"))
            } catch let error as BundleIndexError {
                manifest = .failure(error)
            }
        } else {
            manifest = .failure(BundleIndexError(.invalidBundleLayout, "\(path): no manifest.json in the archive"))
        }
        return BundleInspection(contentHash: hash, entries: entries, manifest: manifest)
    }

    private static func rest(_ reader: TarArchive.Reader, _ entries: [ArchiveEntry]) throws -> [ArchiveEntry] {
        var all = entries
        while let entry = try reader.next() { all.append(entry) }
        return all
    }
}
