import BundleIndex
import Foundation
import TestSupport
import Testing

@Suite struct PrecompressorTests {
    @Test func variantsForCompressibleFilesOnly() throws {
        try Fixtures.withTemporaryDirectory { dir in
            let extracted = try SafeExtractor().extract(archive: Fixtures.demoBundle, into: dir + "/ui")
            let files = try Precompressor().addVariants(root: dir, files: extracted.files)
            let css = try #require(files["style.css"]?.variants)
            #expect(Set(css.keys) == ["br", "gzip"])
            #expect(files["app.js"]?.variants?["br"] != nil)
            #expect(files["index.html"]?.variants == nil, "under 1 KiB")
            #expect(files["fonts/demo.woff2"]?.variants == nil, "already compressed")
            #expect(files["img/logo.png"]?.variants == nil)
            // The variants decompress, with stock tools, to the original bytes.
            let original = try Data(contentsOf: URL(fileURLWithPath: dir + "/ui/style.css"))
            let gunzip = try Shell.run("/bin/sh", ["-c", "gzip -dc < '\(dir)/\(css["gzip"]!.path)'"])
            #expect(Data(gunzip.output.utf8) == original)
            let unbrotli = try Shell.run("/bin/sh", ["-c", "brotli -dc < '\(dir)/\(css["br"]!.path)'"])
            #expect(Data(unbrotli.output.utf8) == original)
            #expect(css["br"]!.size < Int64(original.count))
            let brBytes = try Data(contentsOf: URL(fileURLWithPath: dir + "/" + css["br"]!.path))
            #expect(css["br"]!.sha256 == ContentHash(digest: LibCrypto.SHA256.digest(brBytes)).hex)
        }
    }

    @Test func shippedVariantsAreUsedAsGiven() throws {
        try Fixtures.withTemporaryDirectory { dir in
            try FileManager.default.createDirectory(atPath: dir + "/ui", withIntermediateDirectories: true)
            let text = Data(String(repeating: "uiserve ", count: 400).utf8)
            try text.write(to: URL(fileURLWithPath: dir + "/ui/a.txt"))
            let shipped = Data([1, 2, 3])
            try shipped.write(to: URL(fileURLWithPath: dir + "/ui/a.txt.br"))
            let files: [String: BundleIndexFile.File] = [
                "a.txt": .init(size: Int64(text.count), sha256: "x", mediaType: "text/plain; charset=utf-8"),
                "a.txt.br": .init(size: 3, sha256: "y", mediaType: "application/x-brotli"),
            ]
            let result = try Precompressor().addVariants(root: dir, files: files)
            #expect(result["a.txt"]?.variants?["br"] == BundleIndexFile.Variant(path: "ui/a.txt.br", size: 3, sha256: "y"))
            #expect(result["a.txt"]?.variants?["gzip"]?.path == "variants/gzip/a.txt")
        }
    }

    @Test func gzipIsDeterministic() {
        let input = Array(String(repeating: "abc", count: 1000).utf8)
        #expect(GzipCodec.compress(input) == GzipCodec.compress(input))
        #expect(BrotliCodec.compress(input) == BrotliCodec.compress(input))
    }
}
