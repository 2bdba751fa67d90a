import Foundation

/// The cache root's file-system rules: the root is the running user's and nobody else's to write
/// (created 0700; a root that others or the group can write, or that another user owns, is refused),
/// and a finished bundle tree is sealed read-only (files 0444, directories 0555) so nothing that
/// serves it can change it by mistake. Trees are unsealed just before they are deleted.
public enum CacheRoot {
    /// Creates `root` (0700, with missing parents) or checks the existing one; throws
    /// `configuration` naming the problem when it is unsafe.
    public static func prepare(_ root: String) throws {
        try makeDirectory(root)
        var info = stat()
        guard lstat(root, &info) == 0 else {
            throw BundleIndexError(.io, "\(root): cannot stat (\(String(cString: strerror(errno))))")
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw BundleIndexError(.configuration, "EXT_CACHE_ROOT \(root) is not a directory (a symlink is not accepted either)")
        }
        guard info.st_uid == geteuid() else {
            throw BundleIndexError(.configuration, "EXT_CACHE_ROOT \(root) is owned by uid \(info.st_uid), not by the running user (uid \(geteuid()))")
        }
        guard info.st_mode & 0o022 == 0 else {
            throw BundleIndexError(.configuration, "EXT_CACHE_ROOT \(root) is writable by others (mode \(String(info.st_mode & 0o777, radix: 8))): chmod 700 it")
        }
    }

    /// Creates a directory (and missing parents) with mode 0700 when it does not exist.
    static func makeDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw BundleIndexError(.io, "\(path): cannot create directory (\(error.localizedDescription))", cause: error)
        }
    }

    /// Makes everything under `tree` read-only: files 0444, directories 0555; `tree` itself stays
    /// as it is (it still has to be renamed into place, which needs write permission on it).
    static func seal(contentsOf tree: String) throws {
        guard let walker = FileManager.default.enumerator(atPath: tree) else { return }
        var directories: [String] = []
        while let relative = walker.nextObject() as? String {
            let path = tree + "/" + relative
            var info = stat()
            guard lstat(path, &info) == 0 else { continue }
            if info.st_mode & S_IFMT == S_IFDIR {
                directories.append(path)
            } else if chmod(path, 0o444) != 0 {
                throw BundleIndexError(.io, "\(path): cannot make read-only (\(String(cString: strerror(errno))))")
            }
        }
        // Deepest first, so each directory is still writable while its children change.
        for path in directories.reversed() where chmod(path, 0o555) != 0 {
            throw BundleIndexError(.io, "\(path): cannot make read-only (\(String(cString: strerror(errno))))")
        }
    }

    /// Seals a tree's top directory after it was renamed into place.
    static func sealTop(_ tree: String) { chmod(tree, 0o555) }

    /// Makes a tree's top directory writable again (to rename it aside).
    static func unsealTop(_ tree: String) { chmod(tree, 0o700) }

    /// Deletes a tree, sealed or not: its directories are made writable first (as a non-root user,
    /// entries of a 0555 directory cannot be removed).
    static func removeTree(_ tree: String) {
        var info = stat()
        guard lstat(tree, &info) == 0 else { return }
        if info.st_mode & S_IFMT == S_IFDIR {
            chmod(tree, 0o700)
            if let walker = FileManager.default.enumerator(atPath: tree) {
                while let relative = walker.nextObject() as? String {
                    let path = tree + "/" + relative
                    if lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR { chmod(path, 0o700) }
                }
            }
        }
        try? FileManager.default.removeItem(atPath: tree)
    }
}
