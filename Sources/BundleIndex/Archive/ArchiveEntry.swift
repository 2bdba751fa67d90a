/// One entry's header as read from an archive: raw path bytes (undecoded, so policy can judge
/// them), kind and declared size. Declared sizes are never trusted for limits: readers count bytes.
public struct ArchiveEntry: Sendable, Equatable {
    /// What an entry is; links carry their target's raw bytes.
    public enum Kind: Sendable, Equatable {
        case file
        case directory
        case symlink(target: [UInt8])
        case hardlink(target: [UInt8])
        case characterDevice
        case blockDevice
        case fifo
        case socket
        case unknown

        /// A short word for listings (`file`, `dir`, `symlink`, …).
        public var name: String {
            switch self {
            case .file: "file"
            case .directory: "dir"
            case .symlink: "symlink"
            case .hardlink: "hardlink"
            case .characterDevice: "chardev"
            case .blockDevice: "blockdev"
            case .fifo: "fifo"
            case .socket: "socket"
            case .unknown: "unknown"
            }
        }
    }

    public var pathBytes: [UInt8]
    public var kind: Kind
    /// The size the header declares (0 for non-files).
    public var declaredSize: Int64

    public init(pathBytes: [UInt8], kind: Kind, declaredSize: Int64) {
        self.pathBytes = pathBytes
        self.kind = kind
        self.declaredSize = declaredSize
    }

    /// The path for display: UTF-8 when valid, else with invalid bytes as `\xNN`, control characters escaped.
    public var displayPath: String {
        if let text = String(validating: pathBytes, as: UTF8.self), !text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) {
            return text
        }
        return pathBytes.map { $0 >= 0x20 && $0 < 0x7f ? String(UnicodeScalar($0)) : "\\x" + String($0, radix: 16, uppercase: true).leftPadded(2) }.joined()
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
