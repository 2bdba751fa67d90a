import Foundation

extension UnsafeRawBufferPointer {
    /// Writes all the bytes to `descriptor`, in as many `write(2)` calls as it takes, retrying one
    /// a signal interrupted. Nil when all are written; else the failed call's `errno` (`EIO` for a
    /// call that wrote nothing).
    public func writeAll(to descriptor: Int32) -> Int32? {
        var offset = 0
        while offset < count {
            let written = Foundation.write(descriptor, baseAddress! + offset, count - offset)
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return written < 0 ? errno : EIO }
            offset += written
        }
        return nil
    }
}
