import CMagic
import Foundation

/// Decides a file's media type at extraction time: a built-in table of the web's types by file
/// extension first, libmagic on the file's first bytes for the rest. Never per request. The only
/// file that calls libmagic; its cookie is not thread-safe, so calls are serialised by a lock.
public final class MediaTypes: @unchecked Sendable {
    /// Extension (lowercase, no dot) → media type; text types carry `charset=utf-8`.
    public static let table: [String: String] = [
        "html": "text/html; charset=utf-8", "htm": "text/html; charset=utf-8",
        "js": "text/javascript; charset=utf-8", "mjs": "text/javascript; charset=utf-8", "cjs": "text/javascript; charset=utf-8",
        "css": "text/css; charset=utf-8", "json": "application/json; charset=utf-8", "map": "application/json; charset=utf-8",
        "webmanifest": "application/manifest+json; charset=utf-8", "txt": "text/plain; charset=utf-8", "md": "text/markdown; charset=utf-8",
        "csv": "text/csv; charset=utf-8", "xml": "application/xml; charset=utf-8", "svg": "image/svg+xml; charset=utf-8",
        "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp", "avif": "image/avif",
        "ico": "image/x-icon", "bmp": "image/bmp", "woff": "font/woff", "woff2": "font/woff2", "ttf": "font/ttf", "otf": "font/otf",
        "eot": "application/vnd.ms-fontobject", "wasm": "application/wasm", "mp4": "video/mp4", "webm": "video/webm",
        "ogg": "audio/ogg", "mp3": "audio/mpeg", "wav": "audio/wav", "m4a": "audio/mp4", "pdf": "application/pdf",
        "zip": "application/zip", "gz": "application/gzip", "br": "application/x-brotli", "zst": "application/zstd",
    ]

    /// The type of anything neither the table nor libmagic can name.
    public static let fallback = "application/octet-stream"

    /// Types worth precompressing (text-like); binary formats are already compressed.
    public static func isCompressible(_ mediaType: String) -> Bool {
        mediaType.hasPrefix("text/") || mediaType.hasPrefix("application/json") || mediaType.hasPrefix("application/manifest+json")
            || mediaType.hasPrefix("application/xml") || mediaType.hasPrefix("image/svg+xml") || mediaType == "application/wasm"
            || mediaType == "image/x-icon" || mediaType == "image/bmp" || mediaType == "font/ttf" || mediaType == "font/otf"
    }

    private let lock = NSLock()
    private let cookie: magic_t?

    public init() {
        let cookie = magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS | MAGIC_ERROR)
        if let cookie, magic_load(cookie, nil) != 0 {
            magic_close(cookie)
            self.cookie = nil
        } else {
            self.cookie = cookie
        }
    }

    deinit { if let cookie { magic_close(cookie) } }

    /// The media type for a file named `path` whose first bytes are `head`.
    public func mediaType(path: String, head: [UInt8]) -> String {
        if let dot = path.lastIndex(of: "."), !path[dot...].contains("/"),
            let known = Self.table[path[path.index(after: dot)...].lowercased()] {
            return known
        }
        return sniff(head)
    }

    /// libmagic's answer for `head`, with `charset=utf-8` on text it reports as text.
    func sniff(_ head: [UInt8]) -> String {
        guard let cookie, !head.isEmpty else { return Self.fallback }
        lock.lock()
        defer { lock.unlock() }
        guard let answer = head.withUnsafeBytes({ magic_buffer(cookie, $0.baseAddress, $0.count) }) else { return Self.fallback }
        let type = String(cString: answer)
        // Only well-formed type/subtype answers become headers; anything else is octet-stream.
        guard type.count < 100, type.split(separator: "/").count == 2,
            type.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || "/.+-".unicodeScalars.contains($0) })
        else { return Self.fallback }
        return type.hasPrefix("text/") ? type + "; charset=utf-8" : type
    }
}
