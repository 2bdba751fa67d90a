/// A parsed JSON value, and a small strict parser for the Runner's replies (RFC 8259: one value,
/// whitespace around it, no trailing commas, no comments, strings valid UTF-8 with their escapes,
/// nesting bounded). Hand-written because Foundation's JSONDecoder was a measured share of every
/// gateway call; the parser does no more than the reply needs.
public enum JSONValue: Sendable, Equatable {
    case object([String: JSONValue])
    case array([JSONValue])
    case string(String)
    /// The number's literal text (parsed by whoever needs a number).
    case number(String)
    case bool(Bool)
    case null

    /// Why a text is not JSON: the byte offset and what was expected there.
    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public var offset: Int
        public var expected: String
        public var description: String { "invalid JSON at byte \(offset): expected \(expected)" }
    }

    /// Parses exactly one JSON value from `bytes`.
    public static func parse(_ bytes: some Collection<UInt8>) throws -> JSONValue {
        var parser = Parser(bytes: Array(bytes))
        parser.skipSpace()
        let value = try parser.value(depth: 0)
        parser.skipSpace()
        guard parser.offset == parser.bytes.count else { throw ParseError(offset: parser.offset, expected: "end of input") }
        return value
    }

    /// The value as a string, if it is one.
    public var string: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    private struct Parser {
        let bytes: [UInt8]
        var offset = 0
        static let maxDepth = 64

        mutating func skipSpace() {
            while offset < bytes.count, [0x20, 0x09, 0x0a, 0x0d].contains(bytes[offset]) { offset += 1 }
        }

        func fail(_ expected: String) -> ParseError { ParseError(offset: offset, expected: expected) }

        mutating func value(depth: Int) throws -> JSONValue {
            guard depth < Self.maxDepth else { throw fail("less nesting") }
            guard offset < bytes.count else { throw fail("a value") }
            switch bytes[offset] {
            case UInt8(ascii: "{"): return try object(depth: depth)
            case UInt8(ascii: "["): return try array(depth: depth)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            default: return .number(try number())
            }
        }

        mutating func literal(_ word: String) throws {
            let utf8 = Array(word.utf8)
            guard bytes.count - offset >= utf8.count, Array(bytes[offset..<offset + utf8.count]) == utf8 else { throw fail(word) }
            offset += utf8.count
        }

        mutating func object(depth: Int) throws -> JSONValue {
            offset += 1
            var members: [String: JSONValue] = [:]
            skipSpace()
            if offset < bytes.count, bytes[offset] == UInt8(ascii: "}") {
                offset += 1
                return .object(members)
            }
            while true {
                skipSpace()
                guard offset < bytes.count, bytes[offset] == UInt8(ascii: "\"") else { throw fail("a member name") }
                let name = try string()
                skipSpace()
                guard offset < bytes.count, bytes[offset] == UInt8(ascii: ":") else { throw fail("':'") }
                offset += 1
                skipSpace()
                members[name] = try value(depth: depth + 1)
                skipSpace()
                guard offset < bytes.count else { throw fail("',' or '}'") }
                if bytes[offset] == UInt8(ascii: ",") { offset += 1; continue }
                guard bytes[offset] == UInt8(ascii: "}") else { throw fail("',' or '}'") }
                offset += 1
                return .object(members)
            }
        }

        mutating func array(depth: Int) throws -> JSONValue {
            offset += 1
            var items: [JSONValue] = []
            skipSpace()
            if offset < bytes.count, bytes[offset] == UInt8(ascii: "]") {
                offset += 1
                return .array(items)
            }
            while true {
                skipSpace()
                items.append(try value(depth: depth + 1))
                skipSpace()
                guard offset < bytes.count else { throw fail("',' or ']'") }
                if bytes[offset] == UInt8(ascii: ",") { offset += 1; continue }
                guard bytes[offset] == UInt8(ascii: "]") else { throw fail("',' or ']'") }
                offset += 1
                return .array(items)
            }
        }

        /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
        mutating func number() throws -> String {
            let start = offset
            func digits() -> Int {
                let from = offset
                while offset < bytes.count, (0x30...0x39).contains(bytes[offset]) { offset += 1 }
                return offset - from
            }
            if offset < bytes.count, bytes[offset] == UInt8(ascii: "-") { offset += 1 }
            guard offset < bytes.count, (0x30...0x39).contains(bytes[offset]) else { throw fail("a value") }
            if bytes[offset] == UInt8(ascii: "0") { offset += 1 } else { _ = digits() }
            if offset < bytes.count, bytes[offset] == UInt8(ascii: ".") {
                offset += 1
                guard digits() > 0 else { throw fail("a digit") }
            }
            if offset < bytes.count, bytes[offset] | 0x20 == UInt8(ascii: "e") {
                offset += 1
                if offset < bytes.count, bytes[offset] == UInt8(ascii: "+") || bytes[offset] == UInt8(ascii: "-") { offset += 1 }
                guard digits() > 0 else { throw fail("a digit") }
            }
            return String(decoding: bytes[start..<offset], as: UTF8.self)
        }

        mutating func string() throws -> String {
            offset += 1
            var out: [UInt8] = []
            var runStart = offset
            while offset < bytes.count {
                let byte = bytes[offset]
                if byte == UInt8(ascii: "\"") {
                    out += bytes[runStart..<offset]
                    offset += 1
                    guard let text = String(validating: out, as: UTF8.self) else { throw fail("valid UTF-8 in a string") }
                    return text
                }
                if byte < 0x20 { throw fail("no control character in a string") }
                if byte == UInt8(ascii: "\\") {
                    out += bytes[runStart..<offset]
                    offset += 1
                    guard offset < bytes.count else { throw fail("an escape") }
                    let escape = bytes[offset]
                    offset += 1
                    switch escape {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0c)
                    case UInt8(ascii: "n"): out.append(0x0a)
                    case UInt8(ascii: "r"): out.append(0x0d)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "u"):
                        var scalar = try hex4()
                        if (0xd800...0xdbff).contains(scalar) {
                            // A high surrogate must be followed by an escaped low one.
                            guard bytes.count - offset >= 6, bytes[offset] == UInt8(ascii: "\\"), bytes[offset + 1] == UInt8(ascii: "u") else {
                                throw fail("a low surrogate")
                            }
                            offset += 2
                            let low = try hex4()
                            guard (0xdc00...0xdfff).contains(low) else { throw fail("a low surrogate") }
                            scalar = 0x10000 + ((scalar - 0xd800) << 10) + (low - 0xdc00)
                        } else if (0xdc00...0xdfff).contains(scalar) {
                            throw fail("no lone low surrogate")
                        }
                        guard let unicode = Unicode.Scalar(scalar) else { throw fail("a Unicode scalar") }
                        out += Array(String(Character(unicode)).utf8)
                    default:
                        throw fail("a valid escape")
                    }
                    runStart = offset
                    continue
                }
                offset += 1
            }
            throw fail("'\"'")
        }

        mutating func hex4() throws -> UInt32 {
            guard bytes.count - offset >= 4 else { throw fail("four hex digits") }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[offset]
                let digit: UInt32
                switch byte {
                case 0x30...0x39: digit = UInt32(byte - 0x30)
                case 0x41...0x46: digit = UInt32(byte - 0x41 + 10)
                case 0x61...0x66: digit = UInt32(byte - 0x61 + 10)
                default: throw fail("four hex digits")
                }
                value = value << 4 | digit
                offset += 1
            }
            return value
        }
    }
}
