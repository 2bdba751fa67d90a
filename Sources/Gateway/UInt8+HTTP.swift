/// Byte rules of HTTP text, shared by the string checks (`isVisibleASCII`,
/// `HeaderPolicy.isFieldValue`) and the scanner that reads requests as bytes (`RequestFraming`).
extension UInt8 {
    /// Visible ASCII (0x21–0x7E): no space, control character or non-ASCII.
    @inlinable public var isVisibleASCII: Bool { self > 0x20 && self < 0x7F }

    /// A byte a field value may hold (RFC 9110 §5.5): visible characters, SP, HTAB and obs-text;
    /// no CR, LF, NUL, DEL or other control.
    @inlinable public var isFieldValueByte: Bool { self == 0x09 || (self >= 0x20 && self != 0x7F) }
}
