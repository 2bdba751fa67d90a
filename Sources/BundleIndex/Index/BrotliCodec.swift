import CBrotli

/// Brotli compression (the one file calling libbrotlienc), used at extraction time only.
public enum BrotliCodec {
    /// `input` compressed at maximum quality (static assets are compressed once, served many times).
    public static func compress(_ input: [UInt8], quality: Int32 = 11) -> [UInt8]? {
        var outputSize = BrotliEncoderMaxCompressedSize(input.count)
        guard outputSize > 0 else { return nil }
        var output = [UInt8](repeating: 0, count: outputSize)
        let ok = input.withUnsafeBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                BrotliEncoderCompress(quality, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_GENERIC, inBuffer.count, inBuffer.baseAddress,
                                      &outputSize, outBuffer.baseAddress)
            }
        }
        guard ok == BROTLI_TRUE else { return nil }
        return Array(output.prefix(outputSize))
    }
}
