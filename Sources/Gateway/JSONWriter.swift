/// Writes JSON text straight into bytes: strings escaped per RFC 8259 (`"`, `\`, and control
/// characters; everything else as UTF-8), objects with sorted keys so the same value always makes
/// the same bytes. Used for the Runner envelope, whose encoding was a measured share of every call.
struct JSONWriter {
    private(set) var bytes: [UInt8] = []
    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    init(capacity: Int = 1024) { bytes.reserveCapacity(capacity) }

    mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    mutating func string(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes += [0x5c, 0x22]
            case UInt8(ascii: "\\"): bytes += [0x5c, 0x5c]
            case 0x0a: bytes += [0x5c, UInt8(ascii: "n")]
            case 0x0d: bytes += [0x5c, UInt8(ascii: "r")]
            case 0x09: bytes += [0x5c, UInt8(ascii: "t")]
            case 0..<0x20:
                bytes += [0x5c, UInt8(ascii: "u"), 0x30, 0x30, Self.hexDigits[Int(byte >> 4)], Self.hexDigits[Int(byte & 0x0f)]]
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    mutating func optionalString(_ text: String?) {
        if let text { string(text) } else { raw("null") }
    }

    mutating func integer(_ value: Int) {
        bytes += Array(String(value).utf8)
    }

    /// `{"k":"v",…}` with keys in sorted order.
    mutating func object(_ entries: [String: String]) {
        bytes.append(UInt8(ascii: "{"))
        for (index, key) in entries.keys.sorted().enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            string(key)
            bytes.append(UInt8(ascii: ":"))
            string(entries[key]!)
        }
        bytes.append(UInt8(ascii: "}"))
    }

    /// `"key":` (after a comma unless `first`).
    mutating func key(_ name: StaticString, first: Bool = false) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        bytes.append(UInt8(ascii: "\""))
        raw(name)
        bytes += [UInt8(ascii: "\""), UInt8(ascii: ":")]
    }
}
