/// RFC 9112 §3.2: a server answers 400 to an HTTP/1.1 request without a `Host` field, and to any
/// request with more than one `Host` line or a `Host` value that is not `uri-host [":" port]`
/// (RFC 3986 §3.2.2–3.2.3). `FastPathHandler` applies it to every decoded request, and
/// `RequestFraming` lets a request through only with exactly one valid `Host`.
///
/// Why it matters for an origin behind a CDN: two `Host` lines are read as two different hosts by
/// different hops (the classic cache-poisoning shape), so such a request is refused, not guessed at.
enum HostFieldRule {
    /// Whether a request of this version with these `Host` values (in order) is acceptable.
    static func accepts(isHTTP11: Bool, hosts: [String]) -> Bool {
        switch hosts.count {
        case 0: return !isHTTP11
        case 1: return isValid(hosts[0].utf8)
        default: return false
        }
    }

    /// `uri-host [":" port]`, or empty (the value a client sends when the target has no authority).
    /// Whitespace around it is not part of the value (RFC 9110 §5.5; NIO's decoder keeps the
    /// trailing one).
    static func isValid<Bytes: BidirectionalCollection<UInt8>>(_ value: Bytes) -> Bool {
        var rest = value[...]
        while let first = rest.first, first == 0x20 || first == 0x09 { rest = rest.dropFirst() }
        while let last = rest.last, last == 0x20 || last == 0x09 { rest = rest.dropLast() }
        if rest.first == UInt8(ascii: "[") {
            // IP-literal: an IPv6 address or IPvFuture, checked for its alphabet only.
            guard let close = rest.firstIndex(of: UInt8(ascii: "]")) else { return false }
            let inside = rest[rest.index(after: rest.startIndex)..<close]
            guard !inside.isEmpty, inside.allSatisfy({ isUnreserved($0) || isSubDelimiter($0) || $0 == UInt8(ascii: ":") }) else { return false }
            rest = rest[rest.index(after: close)...]
        } else {
            // reg-name or IPv4address: unreserved, pct-encoded and sub-delims up to the port's colon.
            let end = rest.firstIndex(of: UInt8(ascii: ":")) ?? rest.endIndex
            guard isRegName(rest[..<end]) else { return false }
            rest = rest[end...]
        }
        guard let colon = rest.first else { return true }
        return colon == UInt8(ascii: ":") && rest.dropFirst().allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    private static func isRegName<Bytes: Collection<UInt8>>(_ name: Bytes) -> Bool {
        var index = name.startIndex
        while index != name.endIndex {
            let byte = name[index]
            if byte == UInt8(ascii: "%") {
                // pct-encoded: two hex digits follow.
                for _ in 0..<2 {
                    index = name.index(after: index)
                    guard index != name.endIndex, name[index].isHexDigit else { return false }
                }
            } else if !isUnreserved(byte) && !isSubDelimiter(byte) {
                return false
            }
            index = name.index(after: index)
        }
        return true
    }

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"): true
        default: false
        }
    }

    private static func isSubDelimiter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "!"), UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "("), UInt8(ascii: ")"),
            UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "="):
            true
        default: false
        }
    }
}

extension UInt8 {
    fileprivate var isHexDigit: Bool { (0x30...0x39).contains(self) || (0x41...0x46).contains(self) || (0x61...0x66).contains(self) }
}
