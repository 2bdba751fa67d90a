import Foundation

/// Makes brotli and gzip variants of an extracted tree, once, at extraction time: for compressible
/// types of at least `minimumSize` bytes, kept only when at least `minimumSaving` smaller. Variants
/// the bundle ships itself (`app.js.br`, `app.js.gz` beside `app.js`) are used as given.
///
/// Each file is read once, in chunks, into both encoders, and their output is written as it comes:
/// the memory this takes is the encoders', whatever the file's size. Brotli's quality steps down
/// for large files, whose cost at the best quality grows past what one load should pay. Measured
/// with the `brotli` tool on the benchmark's JavaScript: quality 11 takes 1.1 s and 26 MiB for
/// 1 MiB, and 4.9 s and 63 MiB for 4 MiB; quality 7 takes 0.18 s and 25 MiB for 4 MiB, for an
/// output 16% larger (1.4% larger than quality 9's, which takes 44 MiB). Quality 11 also has a
/// budget per bundle, spent on the smallest files first, so a bundle of many mid-sized files does
/// not keep its first request waiting for a minute (at about 1.1 s per MiB).
public struct Precompressor: Sendable {
    public var minimumSize: Int64 = 1024
    /// Fraction of the original a variant must save to be kept (0.1 = at least 10% smaller).
    public var minimumSaving: Double = 0.1
    /// Files up to this size get brotli's best quality (11) while `bestQualityBudget` lasts;
    /// the others get `largeFileQuality`.
    public var bestQualityLimit: Int64 = 1 << 20
    /// Bytes of a bundle compressed at quality 11, smallest files first (about 2.2 s of work).
    public var bestQualityBudget: Int64 = 2 << 20
    public var largeFileQuality = 7
    /// Larger files get no variants (the time to make them, not memory, is the bound).
    public var maximumSize: Int64 = 64 << 20

    public init() {}

    /// Adds variants to `files` (paths relative to `root/ui`), writing new ones under `root/variants/<coding>/`.
    public func addVariants(root: String, files: [String: BundleIndexFile.File]) throws -> [String: BundleIndexFile.File] {
        var result = files
        var bestQualityLeft = bestQualityBudget
        // Smallest first, so the budget goes to as many files as it can; then by path, so the same
        // bundle always gets the same variants.
        for (path, file) in files.sorted(by: { ($0.value.size, $0.key) < ($1.value.size, $1.key) }) {
            var variants: [String: BundleIndexFile.Variant] = [:]
            for (coding, suffix) in [("br", ".br"), ("gzip", ".gz")] {
                if let shipped = files[path + suffix] {
                    variants[coding] = BundleIndexFile.Variant(path: "ui/" + path + suffix, size: shipped.size, sha256: shipped.sha256)
                }
            }
            let missing = ["br", "gzip"].filter { variants[$0] == nil }
            if !missing.isEmpty, file.size >= minimumSize, file.size <= maximumSize, MediaTypes.isCompressible(file.mediaType) {
                var quality = largeFileQuality
                if missing.contains("br"), file.size <= bestQualityLimit, file.size <= bestQualityLeft {
                    quality = 11
                    bestQualityLeft -= file.size
                }
                let made = try compress(root: root, path: path, size: file.size, codings: missing, brotliQuality: quality)
                variants.merge(made) { shipped, _ in shipped }
            }
            if !variants.isEmpty { result[path]?.variants = variants }
        }
        return result
    }

    /// Variants of `root/ui/path` in `codings`, written to `root/variants/<coding>/path`; the ones
    /// that do not save enough are removed again.
    private func compress(root: String, path: String, size: Int64, codings: [String], brotliQuality: Int) throws -> [String: BundleIndexFile.Variant] {
        let source = root + "/ui/" + path
        let input = open(source, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard input >= 0 else { throw BundleIndexError(.io, "\(source): cannot open (\(String(cString: strerror(errno)).lowercased()))") }
        defer { close(input) }
        var outputs: [VariantOutput] = []
        defer { outputs.forEach { $0.close() } }
        for coding in codings {
            let compressor: StreamCompressor = coding == "br"
                ? try BrotliCodec(quality: brotliQuality, sizeHint: size)
                : try GzipCodec()
            outputs.append(try VariantOutput(coding: coding, relativePath: "variants/\(coding)/\(path)", root: root, compressor: compressor))
        }
        var chunk = [UInt8](repeating: 0, count: 256 << 10)
        var total: Int64 = 0
        while true {
            let count = chunk.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw BundleIndexError(.io, "\(source): cannot read (\(String(cString: strerror(errno)).lowercased()))") }
            total += Int64(count)
            guard total <= size else { break }
            try chunk.withUnsafeBytes { bytes in
                for output in outputs { try output.add(UnsafeRawBufferPointer(rebasing: bytes[..<count]), finish: count == 0) }
            }
            if count == 0 { break }
        }
        guard total == size else { throw BundleIndexError(.io, "\(source): size differs from the index") }
        var variants: [String: BundleIndexFile.Variant] = [:]
        for output in outputs {
            output.close()
            if Double(output.size) <= Double(size) * (1 - minimumSaving) {
                variants[output.coding] = BundleIndexFile.Variant(path: output.relativePath, size: output.size,
                                                                  sha256: ContentHash(digest: output.digest.finish()).hex)
            } else {
                unlink(root + "/" + output.relativePath)
            }
        }
        return variants
    }
}

/// One variant being written: its compressor, file, digest and size.
private final class VariantOutput {
    let coding: String
    let relativePath: String
    let compressor: StreamCompressor
    let digest = LibCrypto.SHA256()
    private(set) var size: Int64 = 0
    private var fd: Int32
    private let target: String

    init(coding: String, relativePath: String, root: String, compressor: StreamCompressor) throws {
        self.coding = coding
        self.relativePath = relativePath
        self.compressor = compressor
        target = root + "/" + relativePath
        try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        fd = open(target, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw BundleIndexError(.io, "\(target): cannot create (\(String(cString: strerror(errno)).lowercased()))") }
    }

    func add(_ input: UnsafeRawBufferPointer, finish: Bool) throws {
        try compressor.compress(input, finish: finish) { bytes in
            digest.update(bytes)
            size += Int64(bytes.count)
            if let error = bytes.writeAll(to: fd) {
                throw BundleIndexError(.io, "\(target): cannot write (\(String(cString: strerror(error)).lowercased()))")
            }
        }
    }

    func close() {
        if fd >= 0 { _ = Foundation.close(fd) }
        fd = -1
    }
}
