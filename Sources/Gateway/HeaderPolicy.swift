import Foundation

/// Which headers cross the gateway, in each direction (pure logic).
///
/// Inbound (client → Runner envelope): only an allowlist (accept, accept-language, content-type,
/// user-agent, x-request-id, x-idempotency-key and `x-ext-*`), never authorization, cookies or
/// hop-by-hop headers, including any the client names in `Connection`. Outbound (Runner → client):
/// content-type, cache-control without `public`/`immutable`, etag and `x-ext-*`, never set-cookie,
/// with values free of CR, LF and NUL and of bounded length.
public struct HeaderPolicy: Sendable {
    public static let inboundAllowed: Set<String> = ["accept", "accept-language", "content-type", "user-agent", "x-request-id", "x-idempotency-key"]
    public static let outboundAllowed: Set<String> = ["content-type", "cache-control", "etag"]
    public static let hopByHop: Set<String> = [
        "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade",
    ]
    public static let neverForwarded: Set<String> = ["authorization", "cookie", "set-cookie", "x-alga-tenant", "x-tenant-id", "host"]

    /// Longest header value passed in either direction.
    public var maxValueBytes: Int
    /// Most headers passed in either direction.
    public var maxHeaders: Int

    public init(maxValueBytes: Int = 4096, maxHeaders: Int = 64) {
        self.maxValueBytes = maxValueBytes
        self.maxHeaders = maxHeaders
    }

    /// The client's headers that go into the Runner envelope, names lowercased; repeated fields are
    /// joined with ", " as HTTP allows.
    public func inbound(_ headers: [(name: String, value: String)]) -> [String: String] {
        let named = Set(headers.filter { $0.name.lowercased() == "connection" }
            .flatMap { $0.value.split(separator: ",").map { $0.trimmingOWS().lowercased() } })
        var out: [String: String] = [:]
        for (rawName, value) in headers {
            let name = rawName.lowercased()
            guard Self.inboundAllowed.contains(name) || name.hasPrefix("x-ext-"),
                !Self.hopByHop.contains(name), !Self.neverForwarded.contains(name), !named.contains(name),
                isSafe(value), Self.isToken(name)
            else { continue }
            if let existing = out[name] {
                out[name] = existing + ", " + value
            } else if out.count < maxHeaders {
                out[name] = value
            }
        }
        return out
    }

    /// The Runner's headers that may reach the client.
    public func outbound(_ headers: [String: String]) -> [(name: String, value: String)] {
        var out: [(name: String, value: String)] = []
        for (rawName, value) in headers.sorted(by: { $0.key < $1.key }) {
            let name = rawName.lowercased()
            guard Self.outboundAllowed.contains(name) || name.hasPrefix("x-ext-"), Self.isToken(name), isSafe(value) else { continue }
            if name == "cache-control" {
                let directives = value.lowercased().split(separator: ",").map { $0.trimmingOWS() }
                if directives.contains(where: { $0 == "public" || $0 == "immutable" }) { continue }
            }
            if out.count < maxHeaders { out.append((name, value)) }
        }
        return out
    }

    /// No CR, LF, NUL or other control characters but tab, and not longer than the limit.
    func isSafe(_ value: String) -> Bool {
        value.utf8.count <= maxValueBytes && Self.isFieldValue(value)
    }

    /// RFC 9110 §5.5: visible characters, SP, HTAB and obs-text; no CR, LF, NUL or other control
    /// (every control character is one byte in UTF-8, so bytes are checked).
    static func isFieldValue(_ value: String) -> Bool {
        value.utf8.allSatisfy(\.isFieldValueByte)
    }

    /// An HTTP token (RFC 9110 §5.6.2).
    static func isToken(_ name: String) -> Bool {
        !name.isEmpty && name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || "!#$%&'*+-.^_`|~".unicodeScalars.contains($0) }
    }
}
