/// A compressor fed in chunks (`BrotliCodec`, `GzipCodec`): a file is compressed while it is read,
/// so the memory it takes is set by the codec's settings, not by the file's size.
public protocol StreamCompressor: AnyObject {
    /// Compresses `input`, passing what is produced to `emit` as it comes; `finish` ends the stream
    /// (no call may follow it).
    func compress(_ input: UnsafeRawBufferPointer, finish: Bool, emit: (UnsafeRawBufferPointer) throws -> Void) throws
}

extension StreamCompressor {
    /// `input` compressed as one whole stream.
    public func compressed(_ input: [UInt8]) throws -> [UInt8] {
        var output: [UInt8] = []
        try input.withUnsafeBytes { bytes in
            try compress(bytes, finish: true) { output.append(contentsOf: $0) }
        }
        return output
    }
}
