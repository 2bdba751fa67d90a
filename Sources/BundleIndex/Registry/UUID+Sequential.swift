import Foundation
import Synchronization

extension UUID {
    /// A version-4-shaped UUID, unique within the process and across processes: 60 random bits
    /// drawn once per process, then a counter. For row ids (the execution log's), where uniqueness
    /// matters and unpredictability does not. Foundation's `UUID()` on Linux opens, reads and
    /// closes `/dev/urandom` on every call (three syscalls per gateway request under `strace`),
    /// and random ids scatter inserts over the primary key's B-tree; these append.
    public static func sequential() -> UUID {
        let count = sequence.add(1, ordering: .relaxed).newValue
        let high = (processPrefix & ~0xF000) | 0x4000  // version 4 (the high nibble of byte 6)
        let low = (count & ~(0xC0 << 56)) | (0x80 << 56)  // variant RFC 4122 (the top bits of byte 8)
        let h = withUnsafeBytes(of: high.bigEndian) { Array($0) }, l = withUnsafeBytes(of: low.bigEndian) { Array($0) }
        return UUID(uuid: (h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], l[0], l[1], l[2], l[3], l[4], l[5], l[6], l[7]))
    }

    private static let processPrefix = UInt64.random(in: 0...UInt64.max)
    private static let sequence = Atomic<UInt64>(UInt64.random(in: 0..<(1 << 40)))
}
