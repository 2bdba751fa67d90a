import CZlib

/// gzip compression (the one file calling zlib), used at extraction time only. One instance
/// compresses one stream. The gzip header carries no name and mtime 0, so the same input always
/// gives the same bytes.
public final class GzipCodec: StreamCompressor {
    /// Allocated apart, never moved: zlib's state points back at its stream and refuses a moved one.
    private let stream: UnsafeMutablePointer<z_stream>
    private var output = [UInt8](repeating: 0, count: 64 << 10)

    public init(level: Int32 = 9) throws {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        // windowBits 15 + 16: a gzip wrapper rather than zlib's; memLevel 9: zlib's largest (256 KiB).
        guard uiserve_deflateInit2(stream, level, 15 + 16, 9) == Z_OK else {
            stream.deallocate()
            throw BundleIndexError(.io, "gzip: cannot create an encoder")
        }
    }

    deinit {
        deflateEnd(stream)
        stream.deallocate()
    }

    public func compress(_ input: UnsafeRawBufferPointer, finish: Bool, emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: UInt8.self))
        stream.pointee.avail_in = uInt(input.count)
        while true {
            let (status, produced) = output.withUnsafeMutableBufferPointer { buffer in
                stream.pointee.next_out = buffer.baseAddress
                stream.pointee.avail_out = uInt(buffer.count)
                let status = deflate(stream, finish ? Z_FINISH : Z_NO_FLUSH)
                return (status, buffer.count - Int(stream.pointee.avail_out))
            }
            // Z_BUF_ERROR only says no progress was possible (nothing left to do): not a failure.
            guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else {
                throw BundleIndexError(.io, "gzip: the encoder failed (\(status))")
            }
            if produced > 0 { try output.withUnsafeBytes { try emit(UnsafeRawBufferPointer(rebasing: $0[..<produced])) } }
            // Full output buffer: there may be more to take out. Finishing: until the stream's end.
            if stream.pointee.avail_out == 0 { continue }
            if finish && status != Z_STREAM_END { continue }
            return
        }
    }
}
