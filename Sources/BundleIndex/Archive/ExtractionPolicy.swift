/// Decides, entry by entry, whether an archive may be extracted (pure logic, no IO).
///
/// A bundle with any hostile entry is refused as a whole — anywhere in the archive, not only under
/// the extracted prefix — and the refusal names the entry and the rule. Sizes are counted from the
/// bytes actually read (`count(bytes:)`), never taken from headers.
public struct ExtractionPolicy: Sendable {
    /// The limits a bundle must stay within.
    public struct Limits: Sendable, Equatable {
        /// `EXT_BUNDLE_MAX_ENTRIES`: entries of any kind in the archive.
        public var maxEntries: Int
        /// `EXT_STATIC_MAX_FILE_BYTES`: bytes in any one file.
        public var maxFileBytes: Int64
        /// `EXT_BUNDLE_MAX_EXPANDED_BYTES`: bytes of all files together.
        public var maxExpandedBytes: Int64
        public var path: EntryPathPolicy

        public init(maxEntries: Int = 10_000, maxFileBytes: Int64 = 32 << 20, maxExpandedBytes: Int64 = 256 << 20, path: EntryPathPolicy = EntryPathPolicy()) {
            self.maxEntries = maxEntries
            self.maxFileBytes = maxFileBytes
            self.maxExpandedBytes = maxExpandedBytes
            self.path = path
        }
    }

    /// Why a bundle was refused: the entry (as displayable text) and the rule it broke.
    public struct Refusal: Sendable, Equatable, CustomStringConvertible {
        public var entry: String
        public var rule: String
        public var description: String { "entry '\(entry)': \(rule)" }
    }

    /// What to do with an admitted entry.
    public enum Admission: Sendable, Equatable {
        /// Extract it: a file or directory under the prefix, at `relativePath` (prefix removed).
        case extract(relativePath: String, isDirectory: Bool)
        /// Allowed, but outside the prefix: read past it (its bytes still count toward the limits).
        case skip(path: String, isFile: Bool)
        case refuse(Refusal)
    }

    public let limits: Limits
    /// The top-level prefix to extract, with its trailing slash (`ui/`).
    public let prefix: String
    private var entries = 0
    private var expanded: Int64 = 0
    private var files: Set<String> = []
    private var directories: Set<String> = []
    public private(set) var sawPrefix = false

    public init(prefix: String = "ui/", limits: Limits = Limits()) {
        self.prefix = prefix.hasSuffix("/") ? prefix : prefix + "/"
        self.limits = limits
    }

    /// Admits or refuses the next entry header.
    public mutating func admit(_ entry: ArchiveEntry) -> Admission {
        let shown = entry.displayPath
        entries += 1
        if entries > limits.maxEntries { return .refuse(Refusal(entry: shown, rule: "more than \(limits.maxEntries) entries")) }
        let path: String
        switch limits.path.check(entry.pathBytes) {
        case .refused(let violation): return .refuse(Refusal(entry: shown, rule: violation.rawValue))
        case .allowed(let safe): path = safe
        }
        let isDirectory: Bool
        switch entry.kind {
        case .file: isDirectory = false
        case .directory: isDirectory = true
        case .symlink: return .refuse(Refusal(entry: shown, rule: "symlink"))
        case .hardlink: return .refuse(Refusal(entry: shown, rule: "hardlink"))
        case .characterDevice, .blockDevice: return .refuse(Refusal(entry: shown, rule: "device node"))
        case .fifo: return .refuse(Refusal(entry: shown, rule: "FIFO"))
        case .socket: return .refuse(Refusal(entry: shown, rule: "socket"))
        case .unknown: return .refuse(Refusal(entry: shown, rule: "unsupported entry type"))
        }
        if files.contains(path) || (!isDirectory && directories.contains(path)) {
            return .refuse(Refusal(entry: shown, rule: "duplicate path"))
        }
        if isDirectory && directories.contains(path) { return .refuse(Refusal(entry: shown, rule: "duplicate path")) }
        // A file must not be used as a directory by a later entry (nor the reverse).
        var ancestor = Substring(path)
        while let slash = ancestor.lastIndex(of: "/") {
            ancestor = ancestor[..<slash]
            if files.contains(String(ancestor)) { return .refuse(Refusal(entry: shown, rule: "path goes through the file '\(ancestor)'")) }
        }
        if isDirectory { directories.insert(path) } else { files.insert(path) }
        let prefixName = String(prefix.dropLast())
        if path == prefixName {
            guard isDirectory else { return .refuse(Refusal(entry: shown, rule: "'\(prefix)' must be a directory")) }
            sawPrefix = true
            return .skip(path: path, isFile: false)
        }
        if path.hasPrefix(prefix) {
            sawPrefix = true
            return .extract(relativePath: String(path.dropFirst(prefix.count)), isDirectory: isDirectory)
        }
        return .skip(path: path, isFile: !isDirectory)
    }

    /// Counts `bytes` more read from the file `entry` (which now holds `fileTotal` bytes); a refusal
    /// once the file or the whole archive is over its limit.
    public mutating func count(bytes: Int64, fileTotal: Int64, entry: String) -> Refusal? {
        expanded += bytes
        if fileTotal > limits.maxFileBytes { return Refusal(entry: entry, rule: "file larger than \(limits.maxFileBytes) bytes") }
        if expanded > limits.maxExpandedBytes { return Refusal(entry: entry, rule: "bundle expands to more than \(limits.maxExpandedBytes) bytes") }
        return nil
    }
}
