import Foundation
import Gateway

/// Where a request read straight from a connection's bytes ends, and whether it is a plain
/// `/ext-ui/` request that `AnswerMemo` may answer: for `RawRequestHandler`, which answers memo
/// hits before NIO's HTTP decoder sees them.
///
/// Strict by construction. A head is framed here only when every line of it follows RFC 9112's
/// grammar (§3 request line, §5 field lines, CRLF endings, no obs-fold, no bare CR or LF, no
/// control bytes), it is HTTP/1.1, it has no `Transfer-Encoding` and no `Upgrade`, the method is
/// not CONNECT, and it has at most one `Content-Length` of plain digits. For such a request every
/// parser that follows RFC 9112 §6.3 finds the same end: the head, then `Content-Length` bytes (none
/// without it). Anything else is `.unknown`, and the HTTP decoder reads the rest of the connection,
/// so this scanner and the decoder never disagree on where a request ends (the disagreement request
/// smuggling lives on).
enum RequestFraming: Equatable {
    /// No complete head yet (and fewer bytes than `maxHeadBytes`).
    case incomplete
    /// A request of `length` bytes, head and body (the body may not have arrived yet). `plain` when
    /// it is a GET or HEAD of `/ext-ui/` with no body whose answer depends only on `AnswerMemo.Key`.
    case request(length: Int, plain: Plain?)
    /// Not framed here: the HTTP decoder takes the connection from this byte on.
    case unknown

    /// A plain request's memo key and `x-request-id`, read as `AnswerMemo.key` reads NIO's head.
    struct Plain: Equatable {
        var key: AnswerMemo.Key
        var requestID: String?
    }

    /// Heads longer than this, or with more fields than `maxFields`, are left to the decoder (its
    /// limits are larger, so nothing the decoder refuses is answered here).
    static let maxHeadBytes = 16 * 1024
    static let maxFields = 100

    /// Frames the request at the start of `bytes`.
    static func scan(_ bytes: UnsafeRawBufferPointer) -> RequestFraming {
        var scanner = Scanner(bytes: bytes)
        return scanner.scan()
    }

    private struct Scanner {
        let bytes: UnsafeRawBufferPointer
        var position = 0

        /// Why a head is not plain does not matter, only that it is not.
        var plain = true
        var key = AnswerMemo.Key(target: "", isHead: false)
        var requestID: String?
        var contentLength: Int?
        var hosts = 0

        init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

        mutating func scan() -> RequestFraming {
            // The request line: method SP request-target SP HTTP-version CRLF (RFC 9112 §3).
            guard let line = nextLine() else { return outOfBytes() }
            guard let requestLine = line else { return .unknown }
            guard readRequestLine(requestLine) else { return .unknown }
            var fields = 0
            while true {
                guard let next = nextLine() else { return outOfBytes() }
                guard let line = next else { return .unknown }
                if line.isEmpty { break }
                fields += 1
                guard fields <= RequestFraming.maxFields, readField(line) else { return .unknown }
            }
            let bodyLength = contentLength ?? 0
            let (length, overflow) = position.addingReportingOverflow(bodyLength)
            guard !overflow else { return .unknown }
            // One valid Host (`HostFieldRule`): else `FastPathHandler` refuses the request.
            let isPlain = plain && hosts == 1 && bodyLength == 0 && key.target.utf8.starts(with: UIRoutePath.prefix.utf8)
            return .request(length: length, plain: isPlain ? Plain(key: key, requestID: requestID) : nil)
        }

        /// Out of bytes before the head's end: wait for more, unless the head is already too long.
        func outOfBytes() -> RequestFraming {
            bytes.count >= RequestFraming.maxHeadBytes ? .unknown : .incomplete
        }

        /// The next line without its CRLF: nil when no LF has arrived yet (within the head's limit),
        /// `.some(nil)` for a line that does not end in CRLF or holds a CR of its own.
        mutating func nextLine() -> Slice<UnsafeRawBufferPointer>?? {
            let limit = min(bytes.count, RequestFraming.maxHeadBytes)
            guard position < limit, let base = bytes.baseAddress,
                let found = memchr(base + position, 0x0A, limit - position)
            else { return nil }
            let lineFeed = base.distance(to: UnsafeRawPointer(found))
            let start = position
            position = lineFeed + 1
            guard lineFeed > start, bytes[lineFeed - 1] == 0x0D, memchr(base + start, 0x0D, lineFeed - 1 - start) == nil else { return .some(nil) }
            return .some(bytes[start..<(lineFeed - 1)])
        }

        mutating func readRequestLine(_ line: Slice<UnsafeRawBufferPointer>) -> Bool {
            guard let firstSpace = line.firstIndex(of: 0x20) else { return false }
            let method = line[line.startIndex..<firstSpace]
            let rest = line[(firstSpace + 1)...]
            guard let secondSpace = rest.firstIndex(of: 0x20) else { return false }
            let target = rest[rest.startIndex..<secondSpace]
            let version = rest[(secondSpace + 1)...]
            // A target of visible ASCII only (the decoder's, and Hummingbird's, way with others
            // differs), and only HTTP/1.1: 1.0's keep-alive rules are the decoder's.
            guard !method.isEmpty, method.allSatisfy(Self.isTokenByte), !target.isEmpty,
                target.allSatisfy(\.isVisibleASCII), Self.equals(version, "HTTP/1.1"), !Self.equals(method, "CONNECT")
            else { return false }
            let isGet = Self.equals(method, "GET")
            key.isHead = Self.equals(method, "HEAD")
            plain = isGet || key.isHead
            key.target = String(decoding: UnsafeRawBufferPointer(rebasing: target), as: UTF8.self)
            return true
        }

        /// One field line: field-name ":" OWS field-value OWS (RFC 9110 §5.5, RFC 9112 §5).
        mutating func readField(_ line: Slice<UnsafeRawBufferPointer>) -> Bool {
            guard let colon = line.firstIndex(of: 0x3A) else { return false }
            let name = line[line.startIndex..<colon]
            // A name of token bytes right up to the colon: no whitespace before it (§5.1 says to
            // refuse that), and no obs-fold (a line starting with whitespace has no token).
            guard !name.isEmpty, name.allSatisfy(Self.isTokenByte) else { return false }
            var value = line[(colon + 1)...]
            guard value.allSatisfy(\.isFieldValueByte) else { return false }
            // Leading whitespace only: NIO's decoder keeps the trailing one, and the memo's keys
            // must read as NIO's do.
            while let first = value.first, first == 0x20 || first == 0x09 { value = value.dropFirst() }
            if let field = AnswerMemo.Field.named(name) {
                // Bytes outside ASCII would not read the same as NIO's text of them.
                let taken = value.allSatisfy { $0 < 0x80 }
                    && AnswerMemo.take(field, value: String(decoding: UnsafeRawBufferPointer(rebasing: value), as: UTF8.self),
                                       into: &key, requestID: &requestID)
                if !taken { plain = false }
                return true
            }
            switch FramingField.named(name) {
            case .contentLength:
                // One, of digits only: a list or a second one is the decoder's to refuse.
                while let last = value.last, last == 0x20 || last == 0x09 { value = value.dropLast() }
                guard contentLength == nil, !value.isEmpty, value.count <= 18, value.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return false }
                contentLength = value.reduce(0) { $0 * 10 + Int($1 - 0x30) }
            case .transferEncoding, .upgrade:
                return false
            case .host:
                hosts += 1
                if !HostFieldRule.isValid(value) { plain = false }
            case .connection, .expect:
                plain = false
            case nil:
                break
            }
            return true
        }

        /// Byte for byte equality with `text`.
        static func equals(_ bytes: Slice<UnsafeRawBufferPointer>, _ text: StaticString) -> Bool {
            guard bytes.count == text.utf8CodeUnitCount else { return false }
            guard let base = bytes.base.baseAddress else { return bytes.isEmpty }
            return memcmp(base + bytes.startIndex, text.utf8Start, bytes.count) == 0
        }

        /// tchar (RFC 9110 §5.6.2).
        static func isTokenByte(_ byte: UInt8) -> Bool {
            switch byte {
            case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return true
            case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
                UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
                UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
                return true
            default: return false
            }
        }

        /// The fields that bear on framing or on whether the request is plain, besides the memo's
        /// own (`AnswerMemo.Field`).
        enum FramingField: String, KnownFieldName {
            case host, contentLength = "content-length", transferEncoding = "transfer-encoding", upgrade, connection, expect
        }
    }
}
