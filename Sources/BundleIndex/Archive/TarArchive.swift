import CArchive
import Foundation

/// The one file that calls libarchive: a streaming tar reader (zstd, gzip or uncompressed) and a
/// deterministic tar writer (pax-restricted, zstd). Nothing here decides what is allowed; callers
/// apply `EntryPathPolicy` and their own limits to what the reader yields.
public enum TarArchive {
    /// libarchive converts header names through the calling thread's locale; under the C locale it
    /// cannot write or read UTF-8 names. Headers are therefore handled under C.UTF-8, set per thread.
    nonisolated(unsafe) private static let utf8Locale: locale_t? = newlocale(LC_CTYPE_MASK, "C.UTF-8", nil)

    static func withUTF8Locale<T>(_ body: () throws -> T) rethrows -> T {
        guard let locale = utf8Locale else { return try body() }
        let previous = uselocale(locale)
        defer { uselocale(previous) }
        return try body()
    }

    /// How an archive written by `Writer` is compressed.
    public enum Compression: Sendable {
        case zstd, gzip, none
    }

    /// Reads entries one by one; call `readData` for the current entry's bytes before moving on.
    public final class Reader {
        private let archive: OpaquePointer
        private let path: String

        /// Opens `path` for reading; only tar (ustar/pax/gnu) under zstd, gzip or no compression.
        public init(path: String) throws {
            guard let archive = archive_read_new() else { throw BundleIndexError(.archive, "\(path): out of memory") }
            archive_read_support_filter_none(archive)
            archive_read_support_filter_gzip(archive)
            archive_read_support_filter_zstd(archive)
            archive_read_support_format_tar(archive)
            guard archive_read_open_filename(archive, path, 64 * 1024) == ARCHIVE_OK else {
                let message = Self.message(archive)
                archive_read_free(archive)
                throw BundleIndexError(.archive, "\(path): cannot open archive (\(message))")
            }
            self.archive = archive
            self.path = path
        }

        deinit { archive_read_free(archive) }

        /// The next entry's header, or nil at the end of the archive.
        public func next() throws -> ArchiveEntry? {
            var entry: OpaquePointer? = nil
            let status = TarArchive.withUTF8Locale { archive_read_next_header(archive, &entry) }
            if status == ARCHIVE_EOF { return nil }
            guard status == ARCHIVE_OK || status == ARCHIVE_WARN, let entry else {
                throw BundleIndexError(.archive, "\(path): unreadable archive (\(Self.message(archive)))")
            }
            let pathBytes = TarArchive.withUTF8Locale {
                Self.bytes(archive_entry_pathname(entry)) ?? Self.bytes(archive_entry_pathname_utf8(entry)) ?? []
            }
            let kind: ArchiveEntry.Kind
            if let target = archive_entry_hardlink(entry) {
                kind = .hardlink(target: Self.bytes(target) ?? [])
            } else {
                switch UInt32(archive_entry_filetype(entry)) & uiserve_AE_IFMT {
                case uiserve_AE_IFREG: kind = .file
                case uiserve_AE_IFDIR: kind = .directory
                case uiserve_AE_IFLNK: kind = .symlink(target: Self.bytes(archive_entry_symlink(entry)) ?? [])
                case uiserve_AE_IFCHR: kind = .characterDevice
                case uiserve_AE_IFBLK: kind = .blockDevice
                case uiserve_AE_IFIFO: kind = .fifo
                case uiserve_AE_IFSOCK: kind = .socket
                default: kind = .unknown
                }
            }
            let size = archive_entry_size_is_set(entry) != 0 ? archive_entry_size(entry) : 0
            return ArchiveEntry(pathBytes: pathBytes, kind: kind, declaredSize: kind == .file ? size : 0)
        }

        /// Reads the current entry's next bytes into `buffer`; 0 at the end of the entry.
        public func readData(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
            let count = archive_read_data(archive, buffer.baseAddress, buffer.count)
            guard count >= 0 else {
                throw BundleIndexError(.archive, "\(path): unreadable entry data (\(Self.message(archive)))")
            }
            return count
        }

        /// Reads the rest of the current entry, refusing more than `limit` bytes.
        public func readAll(limit: Int) throws -> [UInt8]? {
            var out: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 64 * 1024)
            while true {
                let count = try chunk.withUnsafeMutableBytes { try readData(into: $0) }
                if count == 0 { return out }
                out += chunk.prefix(count)
                if out.count > limit { return nil }
            }
        }

        private static func bytes(_ pointer: UnsafePointer<CChar>?) -> [UInt8]? {
            guard let pointer else { return nil }
            return Array(UnsafeBufferPointer(start: pointer, count: strlen(pointer))).map { UInt8(bitPattern: $0) }
        }

        fileprivate static func message(_ archive: OpaquePointer) -> String {
            archive_error_string(archive).map { String(cString: $0) } ?? "unknown error"
        }
    }

    /// Writes a deterministic archive: every header gets mtime 0, uid/gid 0, no owner names, fixed
    /// modes (0644 files, 0755 directories) and no extended attributes, so equal input gives equal bytes.
    public final class Writer {
        private let archive: OpaquePointer
        private let path: String
        private var closed = false

        /// Creates `path` (truncating it); pass a temporary path and rename when done, with the
        /// final path as `label` so errors name the file the user asked for.
        public init(path: String, compression: Compression = .zstd, label: String? = nil) throws {
            guard let archive = archive_write_new() else { throw BundleIndexError(.archive, "\(path): out of memory") }
            let filterStatus: Int32 =
                switch compression {
                case .zstd: archive_write_add_filter_zstd(archive)
                case .gzip: archive_write_add_filter_gzip(archive)
                case .none: archive_write_add_filter_none(archive)
                }
            if compression == .gzip {
                // gzip would otherwise record the current time in its header.
                archive_write_set_filter_option(archive, "gzip", "timestamp", nil)
            }
            guard filterStatus == ARCHIVE_OK, archive_write_set_format_pax_restricted(archive) == ARCHIVE_OK,
                archive_write_open_filename(archive, path) == ARCHIVE_OK
            else {
                let message = Reader.message(archive)
                archive_write_free(archive)
                throw BundleIndexError(.archive, "\(label ?? path): cannot create archive (\(message))")
            }
            self.archive = archive
            self.path = label ?? path
        }

        deinit {
            if !closed { archive_write_close(archive) }
            archive_write_free(archive)
        }

        /// Adds a directory entry named `name` (written with a trailing slash).
        public func addDirectory(_ name: String) throws {
            try writeHeader(name: name.hasSuffix("/") ? name : name + "/", type: uiserve_AE_IFDIR, mode: 0o755, size: 0)
        }

        /// Adds a regular file whose bytes are streamed from `source` and must total `size`.
        public func addFile(_ name: String, size: Int64, from source: FileHandle) throws {
            try writeHeader(name: name, type: uiserve_AE_IFREG, mode: 0o644, size: size)
            var written: Int64 = 0
            while true {
                let chunk = try source.read(upToCount: 64 * 1024) ?? Data()
                if chunk.isEmpty { break }
                let count = chunk.withUnsafeBytes { archive_write_data(archive, $0.baseAddress, $0.count) }
                guard count == chunk.count else {
                    throw BundleIndexError(.archive, "\(path): write failed for \(name) (\(Reader.message(archive)))")
                }
                written += Int64(count)
            }
            guard written == size else {
                throw BundleIndexError(.archive, "\(name): file changed size while being packed")
            }
        }

        /// Adds a regular file with `bytes` as its content.
        public func addFile(_ name: String, bytes: [UInt8]) throws {
            try writeHeader(name: name, type: uiserve_AE_IFREG, mode: 0o644, size: Int64(bytes.count))
            let count = bytes.withUnsafeBytes { archive_write_data(archive, $0.baseAddress, $0.count) }
            guard count == bytes.count else {
                throw BundleIndexError(.archive, "\(path): write failed for \(name) (\(Reader.message(archive)))")
            }
        }

        /// Flushes and closes the archive; it is complete only after this returns.
        public func finish() throws {
            closed = true
            guard archive_write_close(archive) == ARCHIVE_OK else {
                throw BundleIndexError(.archive, "\(path): cannot finish archive (\(Reader.message(archive)))")
            }
        }

        private func writeHeader(name: String, type: UInt32, mode: UInt32, size: Int64) throws {
            guard let entry = archive_entry_new() else { throw BundleIndexError(.archive, "out of memory") }
            defer { archive_entry_free(entry) }
            archive_entry_set_pathname_utf8(entry, name)
            archive_entry_set_filetype(entry, type)
            archive_entry_set_perm(entry, mode_t(mode))
            archive_entry_set_size(entry, size)
            archive_entry_set_mtime(entry, 0, 0)
            archive_entry_set_uid(entry, 0)
            archive_entry_set_gid(entry, 0)
            let status = TarArchive.withUTF8Locale { archive_write_header(archive, entry) }
            guard status == ARCHIVE_OK else {
                throw BundleIndexError(.archive, "\(path): cannot write header for \(name) (\(Reader.message(archive)))")
            }
        }
    }
}
