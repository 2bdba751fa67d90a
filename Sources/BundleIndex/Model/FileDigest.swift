import Foundation

/// SHA-256 of a whole file, streamed in 256 KiB chunks so memory stays flat whatever the size.
public enum FileDigest {
    /// The content hash of the file at `path`.
    public static func contentHash(ofFileAt path: String) throws -> ContentHash {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw BundleIndexError(.io, "\(path): cannot open (\(String(cString: strerror(errno)).lowercased()))")
        }
        defer { try? handle.close() }
        let hasher = LibCrypto.SHA256()
        do {
            while let chunk = try handle.read(upToCount: 256 * 1024), !chunk.isEmpty { hasher.update(chunk) }
        } catch {
            throw BundleIndexError(.io, "\(path): read failed (\(FileErrors.reason(error)))", cause: error)
        }
        return ContentHash(digest: hasher.finish())
    }
}
