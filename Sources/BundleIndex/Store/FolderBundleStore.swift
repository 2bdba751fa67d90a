import Foundation
import NIOPosix

/// A bundle store in a local directory, with the same key layout as object storage
/// (`<root>/sha256/<hex>/bundle.tar.zst`). The embedded default, and the simplest production store.
public struct FolderBundleStore: BundleStore {
    public let root: String

    public init(root: String) {
        self.root = root
    }

    public var label: String { "folder \(root)" }

    /// Keys are checked by the same path policy as archive entries: no `..`, no absolute keys.
    func path(for key: String) throws -> String {
        guard case .allowed(let safe) = EntryPathPolicy().check(key) else {
            throw BundleIndexError(.configuration, "store key '\(key.prefix(200))' is not a safe relative key")
        }
        return root + "/" + safe
    }

    public func fetch(key: String, to destination: String, limit: Int64) async throws -> FetchedObject {
        // Blocking file IO: on NIO's thread pool, off the cooperative pool that serves requests.
        try await NIOThreadPool.singleton.runIfActive { try fetchBlocking(key: key, to: destination, limit: limit) }
    }

    private func fetchBlocking(key: String, to destination: String, limit: Int64) throws -> FetchedObject {
        let source = try path(for: key)
        guard let input = FileHandle(forReadingAtPath: source) else {
            if errno == ENOENT || errno == ENOTDIR { throw BundleIndexError(.notFound, "\(key): not in \(label)") }
            throw BundleIndexError(.unavailable, "\(key): cannot open in \(label) (\(String(cString: strerror(errno))))")
        }
        defer { try? input.close() }
        guard FileManager.default.createFile(atPath: destination, contents: nil),
            let output = FileHandle(forWritingAtPath: destination)
        else { throw BundleIndexError(.io, "\(destination): cannot create") }
        defer { try? output.close() }
        let hasher = LibCrypto.SHA256()
        var size: Int64 = 0
        while let chunk = try input.read(upToCount: 256 * 1024), !chunk.isEmpty {
            size += Int64(chunk.count)
            guard size <= limit else { throw BundleIndexError(.tooLarge, "\(key): larger than the \(limit)-byte bundle limit") }
            hasher.update(chunk)
            try output.write(contentsOf: chunk)
        }
        return FetchedObject(size: size, hash: ContentHash(digest: hasher.finish()))
    }

    public func read(key: String, limit: Int) async throws -> [UInt8]? {
        try await NIOThreadPool.singleton.runIfActive { try readBlocking(key: key, limit: limit) }
    }

    private func readBlocking(key: String, limit: Int) throws -> [UInt8]? {
        let source = try path(for: key)
        guard let handle = FileHandle(forReadingAtPath: source) else {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw BundleIndexError(.unavailable, "\(key): cannot open in \(label)")
        }
        defer { try? handle.close() }
        let data = try handle.read(upToCount: limit + 1) ?? Data()
        guard data.count <= limit else { throw BundleIndexError(.tooLarge, "\(key): larger than \(limit) bytes") }
        return Array(data)
    }

    public func put(key: String, from source: String) async throws {
        let target = try path(for: key)
        let directory = (target as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let temporary = directory + "/.upload-\(UUID().uuidString)"
        defer { unlink(temporary) }
        do {
            try FileManager.default.copyItem(atPath: source, toPath: temporary)
        } catch {
            throw BundleIndexError(.io, "\(source): cannot copy into \(label) (\(FileErrors.reason(error)))", cause: error)
        }
        // link(2) fails when the target exists: content-addressed keys are never overwritten.
        guard link(temporary, target) == 0 else {
            if errno == EEXIST { throw BundleIndexError(.alreadyExists, "\(key): already in \(label)") }
            throw BundleIndexError(.io, "\(key): cannot store (\(String(cString: strerror(errno))))")
        }
    }

    public func probe() async throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw BundleIndexError(.unavailable, "\(label): not a directory")
        }
    }
}
