import Foundation

/// Extracts one top-level prefix (`ui/`) of a bundle archive into a new directory, under
/// `ExtractionPolicy`: the whole archive is checked, any hostile entry refuses the bundle, and the
/// extractor creates only regular files (O_EXCL|O_NOFOLLOW) and directories itself — libarchive's
/// own disk writer is never used, so no link or device can be created whatever the archive holds.
public struct SafeExtractor: Sendable {
    /// What an extraction produced.
    public struct Result: Sendable {
        public var manifest: ExtensionManifest
        public var files: [String: BundleIndexFile.File]
    }

    public let limits: ExtractionPolicy.Limits
    public let mediaTypes: MediaTypes

    public init(limits: ExtractionPolicy.Limits = .init(), mediaTypes: MediaTypes = MediaTypes()) {
        self.limits = limits
        self.mediaTypes = mediaTypes
    }

    /// Extracts `prefix` of the archive at `archive` into `destination` (created; must not exist).
    /// On any refusal or error, throws and removes `destination`. A bundle without `prefix` is
    /// refused unless `requirePrefix` is false (then the destination stays empty).
    public func extract(archive: String, prefix: String = "ui/", into destination: String, requirePrefix: Bool = true) throws -> Result {
        guard mkdir(destination, 0o700) == 0 else {
            throw BundleIndexError(.io, "\(destination): cannot create (\(String(cString: strerror(errno))))")
        }
        do {
            return try extractChecked(archive: archive, prefix: prefix, into: destination, requirePrefix: requirePrefix)
        } catch {
            CacheRoot.removeTree(destination)
            throw error
        }
    }

    private func extractChecked(archive: String, prefix: String, into destination: String, requirePrefix: Bool) throws -> Result {
        var policy = ExtractionPolicy(prefix: prefix, limits: limits)
        let reader = try TarArchive.Reader(path: archive)
        var manifestBytes: [UInt8]? = nil
        var files: [String: BundleIndexFile.File] = [:]
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while let entry = try reader.next() {
            switch policy.admit(entry) {
            case .refuse(let refusal):
                throw BundleIndexError(.refusedEntry, "bundle refused: \(refusal)")
            case .extract(let relative, true):
                try makeDirectories(destination, relative)
            case .skip(let path, let isFile):
                guard isFile else { continue }
                if path == "manifest.json" {
                    manifestBytes = try readCounted(reader, entry: path, policy: &policy, buffer: &buffer, keepUpTo: 1 << 20)
                    if manifestBytes == nil { throw BundleIndexError(.invalidManifest, "bundle refused: manifest.json is larger than 1 MiB") }
                } else {
                    _ = try readCounted(reader, entry: path, policy: &policy, buffer: &buffer, keepUpTo: 0)
                }
            case .extract(let relative, false):
                if let slash = relative.lastIndex(of: "/") { try makeDirectories(destination, String(relative[..<slash])) }
                files[relative] = try writeFile(reader, relative: relative, entry: entry.displayPath, into: destination, policy: &policy, buffer: &buffer)
            }
        }
        guard let manifestBytes else { throw BundleIndexError(.invalidBundleLayout, "bundle refused: no manifest.json") }
        let manifest = try ExtensionManifest.parse(Data(manifestBytes), source: "manifest.json")
        guard policy.sawPrefix || !requirePrefix else { throw BundleIndexError(.invalidBundleLayout, "bundle refused: no \(policy.prefix)") }
        return Result(manifest: manifest, files: files)
    }

    /// Reads the current entry to its end in chunks, counting every byte against the policy (a
    /// refusal ends the read), and hands each chunk to `body`; returns the entry's size.
    private func forEachChunk(_ reader: TarArchive.Reader, entry: String, policy: inout ExtractionPolicy, buffer: inout [UInt8],
                              _ body: (UnsafeRawBufferPointer) throws -> Void) throws -> Int64 {
        var total: Int64 = 0
        while true {
            let count = try buffer.withUnsafeMutableBytes { try reader.readData(into: $0) }
            if count == 0 { return total }
            total += Int64(count)
            if let refusal = policy.count(bytes: Int64(count), fileTotal: total, entry: entry) {
                throw BundleIndexError(.refusedEntry, "bundle refused: \(refusal)")
            }
            try buffer.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        }
    }

    /// Reads the current entry to its end, counting every byte; keeps up to `keepUpTo` bytes
    /// (nil when there were more).
    private func readCounted(_ reader: TarArchive.Reader, entry: String, policy: inout ExtractionPolicy, buffer: inout [UInt8], keepUpTo: Int) throws -> [UInt8]? {
        var kept: [UInt8] = []
        var overflow = false
        _ = try forEachChunk(reader, entry: entry, policy: &policy, buffer: &buffer) { chunk in
            if kept.count + chunk.count <= keepUpTo { kept += chunk } else { overflow = true }
        }
        return overflow ? nil : kept
    }

    private func writeFile(_ reader: TarArchive.Reader, relative: String, entry: String, into destination: String,
                           policy: inout ExtractionPolicy, buffer: inout [UInt8]) throws -> BundleIndexFile.File {
        let path = destination + "/" + relative
        // Read-only from birth (0444): the descriptor we write through was opened before the mode applies.
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o444)
        guard fd >= 0 else { throw BundleIndexError(.io, "\(path): cannot create (\(String(cString: strerror(errno))))") }
        defer { close(fd) }
        let hasher = LibCrypto.SHA256()
        var head: [UInt8] = []
        let total = try forEachChunk(reader, entry: entry, policy: &policy, buffer: &buffer) { chunk in
            if head.count < 4096 { head += chunk.prefix(4096 - head.count) }
            if let error = chunk.writeAll(to: fd) { throw BundleIndexError(.io, "\(path): write failed (\(String(cString: strerror(error))))") }
            hasher.update(chunk)
        }
        return BundleIndexFile.File(size: total, sha256: ContentHash(digest: hasher.finish()).hex, mediaType: mediaTypes.mediaType(path: relative, head: head))
    }

    /// Creates each missing directory of `relative` under `root` (no symlink can exist there: the
    /// extractor never makes one, and the tree is new).
    private func makeDirectories(_ root: String, _ relative: String) throws {
        var path = root
        for segment in relative.split(separator: "/") {
            path += "/" + segment
            if mkdir(path, 0o755) != 0 && errno != EEXIST {
                throw BundleIndexError(.io, "\(path): cannot create directory (\(String(cString: strerror(errno))))")
            }
        }
    }
}
