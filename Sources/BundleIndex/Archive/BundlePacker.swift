import Foundation

/// Packs a publisher's folder into a deterministic `bundle.tar.zst`.
///
/// The folder must hold `manifest.json` (valid) and `ui/` containing the manifest's UI entry; it
/// may hold `dist/`, `precompiled/` and `sbom.spdx.json`, and nothing else. Entries are sorted by
/// path bytes and written with fixed metadata, so the same folder always gives the same hash.
/// Symlinks, special files and unsafe names are refused, naming the path.
public struct BundlePacker: Sendable {
    /// What a successful pack produced.
    public struct Result: Sendable {
        public var contentHash: ContentHash
        public var manifest: ExtensionManifest
        public var fileCount: Int
    }

    /// Top-level names a bundle may contain; directories marked with a trailing slash.
    public static let allowedTopLevel = ["manifest.json", "ui/", "dist/", "precompiled/", "sbom.spdx.json"]

    public var policy = EntryPathPolicy()

    public init() {}

    /// Packs `folder` into `output` (written atomically; nothing is left behind on failure).
    public func pack(folder: String, to output: String) throws -> Result {
        let manifestPath = (folder as NSString).appendingPathComponent("manifest.json")
        guard let manifestData = FileManager.default.contents(atPath: manifestPath) else {
            throw BundleIndexError(.invalidBundleLayout, "\(manifestPath): missing (a bundle folder needs manifest.json and ui/)")
        }
        let manifest = try ExtensionManifest.parse(manifestData, source: manifestPath)
        let entries = try collect(folder: folder)
        guard entries.contains(where: { $0.path == "ui" && $0.isDirectory }) else {
            throw BundleIndexError(.invalidBundleLayout, "\((folder as NSString).appendingPathComponent("ui")): missing (a bundle folder needs manifest.json and ui/)")
        }
        guard entries.contains(where: { $0.path == "ui/" + manifest.uiEntry && !$0.isDirectory }) else {
            throw BundleIndexError(.invalidBundleLayout, "\(folder): ui/\(manifest.uiEntry) (the manifest's ui.entry) does not exist")
        }
        try AtomicOutput(path: output).write { temporary in
            let writer = try TarArchive.Writer(path: temporary, label: output)
            for entry in entries {
                if entry.isDirectory {
                    try writer.addDirectory(entry.path)
                } else {
                    let full = (folder as NSString).appendingPathComponent(entry.path)
                    guard let handle = FileHandle(forReadingAtPath: full) else {
                        throw BundleIndexError(.io, "\(full): cannot open (\(String(cString: strerror(errno)).lowercased()))")
                    }
                    defer { try? handle.close() }
                    try writer.addFile(entry.path, size: entry.size, from: handle)
                }
            }
            try writer.finish()
        }
        let hash = try FileDigest.contentHash(ofFileAt: output)
        return Result(contentHash: hash, manifest: manifest, fileCount: entries.filter { !$0.isDirectory }.count)
    }

    private struct Entry {
        var path: String
        var isDirectory: Bool
        var size: Int64
    }

    /// Walks the folder with lstat semantics, sorted by UTF-8 bytes.
    private func collect(folder: String) throws -> [Entry] {
        let manager = FileManager.default
        var entries: [Entry] = []
        var pending: [String] = [""]
        while let relative = pending.popLast() {
            let directory = relative.isEmpty ? folder : (folder as NSString).appendingPathComponent(relative)
            let names: [String]
            do {
                names = try manager.contentsOfDirectory(atPath: directory)
            } catch {
                throw BundleIndexError(.io, "\(directory): cannot list (\(FileErrors.reason(error)))", cause: error)
            }
            for name in names {
                let path = relative.isEmpty ? name : relative + "/" + name
                let full = (folder as NSString).appendingPathComponent(path)
                if case .refused(let violation) = policy.check(path) {
                    throw BundleIndexError(.invalidBundleLayout, "\(full): \(violation.rawValue)")
                }
                let attributes: [FileAttributeKey: Any]
                do {
                    attributes = try manager.attributesOfItem(atPath: full)
                } catch {
                    throw BundleIndexError(.io, "\(full): cannot stat (\(FileErrors.reason(error)))", cause: error)
                }
                let type = attributes[.type] as? FileAttributeType
                let isDirectory = type == .typeDirectory
                if relative.isEmpty {
                    let key = isDirectory ? name + "/" : name
                    guard Self.allowedTopLevel.contains(key) else {
                        throw BundleIndexError(.invalidBundleLayout, "\(full): not part of a bundle (allowed at the top: \(Self.allowedTopLevel.joined(separator: ", ")))")
                    }
                }
                switch type {
                case .typeDirectory?:
                    entries.append(Entry(path: path, isDirectory: true, size: 0))
                    pending.append(path)
                case .typeRegular?:
                    entries.append(Entry(path: path, isDirectory: false, size: (attributes[.size] as? NSNumber)?.int64Value ?? 0))
                case .typeSymbolicLink?:
                    throw BundleIndexError(.invalidBundleLayout, "\(full): symbolic links are not allowed in a bundle")
                default:
                    throw BundleIndexError(.invalidBundleLayout, "\(full): only regular files and directories are allowed in a bundle")
                }
            }
        }
        return entries.sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
    }
}
