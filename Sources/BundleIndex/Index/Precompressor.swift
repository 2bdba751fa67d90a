import Foundation

/// Makes brotli and gzip variants of an extracted tree, once, at extraction time: for compressible
/// types of at least `minimumSize` bytes, kept only when at least `minimumSaving` smaller. Variants
/// the bundle ships itself (`app.js.br`, `app.js.gz` beside `app.js`) are used as given.
public struct Precompressor: Sendable {
    public var minimumSize: Int64 = 1024
    /// Fraction of the original a variant must save to be kept (0.1 = at least 10% smaller).
    public var minimumSaving: Double = 0.1

    public init() {}

    /// Adds variants to `files` (paths relative to `root/ui`), writing new ones under `root/variants/<coding>/`.
    public func addVariants(root: String, files: [String: BundleIndexFile.File]) throws -> [String: BundleIndexFile.File] {
        var result = files
        for (path, file) in files {
            var variants: [String: BundleIndexFile.Variant] = [:]
            for (coding, suffix) in [("br", ".br"), ("gzip", ".gz")] {
                if let shipped = files[path + suffix] {
                    variants[coding] = BundleIndexFile.Variant(path: "ui/" + path + suffix, size: shipped.size, sha256: shipped.sha256)
                }
            }
            if file.size >= minimumSize && MediaTypes.isCompressible(file.mediaType) && file.size <= 64 << 20 {
                let input = try Array(Data(contentsOf: URL(fileURLWithPath: root + "/ui/" + path)))
                for coding in ["br", "gzip"] where variants[coding] == nil {
                    let compressed = coding == "br" ? BrotliCodec.compress(input) : GzipCodec.compress(input)
                    guard let output = compressed, Double(output.count) <= Double(input.count) * (1 - minimumSaving) else { continue }
                    let relative = "variants/\(coding)/\(path)"
                    let target = root + "/" + relative
                    try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                    guard FileManager.default.createFile(atPath: target, contents: Data(output)) else {
                        throw BundleIndexError(.io, "\(target): cannot write")
                    }
                    variants[coding] = BundleIndexFile.Variant(path: relative, size: Int64(output.count), sha256: ContentHash(digest: LibCrypto.SHA256.digest(output)).hex)
                }
            }
            if !variants.isEmpty { result[path]?.variants = variants }
        }
        return result
    }
}
