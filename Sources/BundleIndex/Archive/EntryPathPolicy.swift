/// Decides whether a path taken from an archive, a folder or a manifest may name a bundle file.
///
/// Works on the raw bytes, before any decoding, so that a NUL byte or an invalid UTF-8 sequence
/// cannot hide behind a lossy conversion. Rules: relative, at most `maxBytes` bytes and `maxDepth`
/// segments, valid UTF-8, no control characters, no backslash, no empty, `.` or `..` segment.
/// A single trailing `/` (how tar names directories) is allowed.
public struct EntryPathPolicy: Sendable, Equatable {
    /// Why a path was refused; `rawValue` is the rule's name as printed in errors.
    public enum Violation: String, Sendable, Equatable {
        case empty = "empty path"
        case absolute = "absolute path"
        case tooLong = "path longer than the limit"
        case tooDeep = "path deeper than the limit"
        case invalidUTF8 = "path is not valid UTF-8"
        case controlCharacter = "NUL or control character in path"
        case backslash = "backslash in path"
        case emptySegment = "empty path segment"
        case dotSegment = "'.' path segment"
        case dotDotSegment = "'..' path segment"
    }

    /// The outcome for one path.
    public enum Decision: Sendable, Equatable {
        /// The path is safe; `path` is it without any trailing slash.
        case allowed(path: String)
        case refused(Violation)
    }

    public var maxBytes: Int
    public var maxDepth: Int

    /// Limits default to 1024 bytes and 32 segments.
    public init(maxBytes: Int = 1024, maxDepth: Int = 32) {
        self.maxBytes = maxBytes
        self.maxDepth = maxDepth
    }

    /// Checks `bytes` against every rule, in a fixed order so the same path always names the same rule.
    public func check(_ bytes: some Collection<UInt8>) -> Decision {
        var raw = Array(bytes)
        if raw.isEmpty { return .refused(.empty) }
        if raw.first == UInt8(ascii: "/") { return .refused(.absolute) }
        if raw.count > maxBytes { return .refused(.tooLong) }
        if raw.contains(where: { $0 < 0x20 || $0 == 0x7f }) { return .refused(.controlCharacter) }
        if raw.contains(UInt8(ascii: "\\")) { return .refused(.backslash) }
        guard let text = String(validating: raw, as: UTF8.self) else { return .refused(.invalidUTF8) }
        if raw.last == UInt8(ascii: "/") { raw.removeLast() }
        let segments = raw.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        if segments.count > maxDepth { return .refused(.tooDeep) }
        for segment in segments {
            if segment.isEmpty { return .refused(.emptySegment) }
            if segment.elementsEqual([UInt8(ascii: ".")]) { return .refused(.dotSegment) }
            if segment.elementsEqual([UInt8(ascii: "."), UInt8(ascii: ".")]) { return .refused(.dotDotSegment) }
        }
        return .allowed(path: text.hasSuffix("/") ? String(text.dropLast()) : text)
    }

    /// Convenience for Swift strings (their UTF-8 bytes).
    public func check(_ path: String) -> Decision { check(Array(path.utf8)) }
}
