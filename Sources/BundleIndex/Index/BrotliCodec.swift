import CBrotli

/// Brotli compression (the one file calling libbrotlienc), used at extraction time only. One
/// instance compresses one stream.
public final class BrotliCodec: StreamCompressor {
    private let state: OpaquePointer
    private var output = [UInt8](repeating: 0, count: 64 << 10)

    /// - Parameters:
    ///   - quality: 0–11.
    ///   - sizeHint: the input's size: the window is fitted to it (up to brotli's default of 4 MiB),
    ///     since a window larger than the input costs memory and gains nothing.
    public init(quality: Int, sizeHint: Int64) throws {
        guard let state = BrotliEncoderCreateInstance(nil, nil, nil) else {
            throw BundleIndexError(.io, "brotli: cannot create an encoder")
        }
        self.state = state
        var window = Int(BROTLI_MIN_WINDOW_BITS)
        while window < Int(BROTLI_DEFAULT_WINDOW), (Int64(1) << window) - 16 < sizeHint { window += 1 }
        BrotliEncoderSetParameter(state, BROTLI_PARAM_QUALITY, UInt32(max(0, min(11, quality))))
        BrotliEncoderSetParameter(state, BROTLI_PARAM_LGWIN, UInt32(window))
        BrotliEncoderSetParameter(state, BROTLI_PARAM_SIZE_HINT, UInt32(clamping: max(0, sizeHint)))
    }

    deinit { BrotliEncoderDestroyInstance(state) }

    public func compress(_ input: UnsafeRawBufferPointer, finish: Bool, emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        var availableIn = input.count
        var nextIn = input.baseAddress?.assumingMemoryBound(to: UInt8.self)
        let operation = finish ? BROTLI_OPERATION_FINISH : BROTLI_OPERATION_PROCESS
        while true {
            let produced = try output.withUnsafeMutableBufferPointer { buffer in
                var availableOut = buffer.count
                var nextOut = buffer.baseAddress
                guard BrotliEncoderCompressStream(state, operation, &availableIn, &nextIn, &availableOut, &nextOut, nil) == BROTLI_TRUE else {
                    throw BundleIndexError(.io, "brotli: the encoder failed")
                }
                return buffer.count - availableOut
            }
            if produced > 0 { try output.withUnsafeBytes { try emit(UnsafeRawBufferPointer(rebasing: $0[..<produced])) } }
            let more = availableIn > 0 || BrotliEncoderHasMoreOutput(state) == BROTLI_TRUE
            if !more && (!finish || BrotliEncoderIsFinished(state) == BROTLI_TRUE) { return }
        }
    }
}
