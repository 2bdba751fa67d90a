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

    @Test func codecsAreDeterministic() throws {
        let input = Array(String(repeating: "abc", count: 1000).utf8)
        #expect(try GzipCodec().compressed(input) == GzipCodec().compressed(input))
        #expect(try BrotliCodec(quality: 11, sizeHint: 3000).compressed(input) == BrotliCodec(quality: 11, sizeHint: 3000).compressed(input))
    }

    /// A file of several read chunks, at both brotli qualities (best up to the limit, the lower one
    /// past it), fed in pieces: each variant decompresses with stock tools to the original bytes.
    @Test(arguments: [Int64(1) << 20, 64 << 10])
    func largeFilesAreCompressedInChunks(bestQualityLimit: Int64) throws {
        try Fixtures.withTemporaryDirectory { dir in
            try FileManager.default.createDirectory(atPath: dir + "/ui/js", withIntermediateDirectories: true)
            var generator = SystemRandomNumberGenerator()
            let words = (0..<500).map { _ in String((0..<8).map { _ in "abcdefghij".randomElement(using: &generator)! }) }
            var text = ""
            while text.utf8.count < 700_000 { text += "const \(words.randomElement(using: &generator)!) = 1;\n" }
            let original = Data(text.utf8)
            try original.write(to: URL(fileURLWithPath: dir + "/ui/js/big.js"))
            var precompressor = Precompressor()
            precompressor.bestQualityLimit = bestQualityLimit
            let files = try precompressor.addVariants(root: dir, files: [
                "js/big.js": .init(size: Int64(original.count), sha256: "x", mediaType: "text/javascript; charset=utf-8"),
            ])
            let variants = try #require(files["js/big.js"]?.variants)
            for (coding, tool) in [("br", "brotli"), ("gzip", "gzip")] {
                let variant = try #require(variants[coding])
                let restored = try Shell.run("/bin/sh", ["-c", "\(tool) -dc < '\(dir)/\(variant.path)'"])
                #expect(Data(restored.output.utf8) == original, "\(coding)")
                let bytes = try Data(contentsOf: URL(fileURLWithPath: dir + "/" + variant.path))
                #expect(variant.size == Int64(bytes.count))
                #expect(variant.sha256 == ContentHash(digest: LibCrypto.SHA256.digest(bytes)).hex)
                #expect(variant.size < Int64(original.count) / 2)
            }
        }
    }

    @Test func aVariantThatSavesTooLittleIsNotKept() throws {
        try Fixtures.withTemporaryDirectory { dir in
            try FileManager.default.createDirectory(atPath: dir + "/ui", withIntermediateDirectories: true)
            var generator = SystemRandomNumberGenerator()
            let noise = Data((0..<8192).map { _ in UInt8.random(in: 0...255, using: &generator) })
            try noise.write(to: URL(fileURLWithPath: dir + "/ui/noise.txt"))
            let files = try Precompressor().addVariants(root: dir, files: [
                "noise.txt": .init(size: 8192, sha256: "x", mediaType: "text/plain; charset=utf-8"),
            ])
            #expect(files["noise.txt"]?.variants == nil)
            for coding in ["br", "gzip"] {
                #expect(!FileManager.default.fileExists(atPath: dir + "/variants/\(coding)/noise.txt"))
            }
        }
    }

    @Test func aFileWhoseSizeDiffersFromTheIndexIsRefused() throws {
        try Fixtures.withTemporaryDirectory { dir in
            try FileManager.default.createDirectory(atPath: dir + "/ui", withIntermediateDirectories: true)
            try Data(String(repeating: "uiserve ", count: 400).utf8).write(to: URL(fileURLWithPath: dir + "/ui/a.txt"))
            for size: Int64 in [3000, 3300] {
                #expect(throws: BundleIndexError.self) {
                    try Precompressor().addVariants(root: dir, files: ["a.txt": .init(size: size, sha256: "x", mediaType: "text/plain; charset=utf-8")])
                }
                try? FileManager.default.removeItem(atPath: dir + "/variants")
            }
        }
    }

    /// Quality 11 has a budget per bundle, spent on the smallest files first: here the two smaller
    /// files fit in it, the largest gets the lower quality (each variant compared with the codec's
    /// own output at that quality, which is deterministic).
    @Test func theBestQualityBudgetGoesToTheSmallestFilesFirst() throws {
        try Fixtures.withTemporaryDirectory { dir in
            try FileManager.default.createDirectory(atPath: dir + "/ui", withIntermediateDirectories: true)
            var files: [String: BundleIndexFile.File] = [:]
            var inputs: [String: [UInt8]] = [:]
            for (name, size) in [("c.js", 80_000), ("a.js", 40_000), ("b.js", 60_000)] {
                var text = ""
                var n = size
                while text.utf8.count < size { text += "let v\(n) = \(n * 7919 % 1000);\n"; n += 1 }
                let bytes = Array(text.utf8.prefix(size))
                try Data(bytes).write(to: URL(fileURLWithPath: dir + "/ui/" + name))
                inputs[name] = bytes
                files[name] = .init(size: Int64(size), sha256: "x", mediaType: "text/javascript; charset=utf-8")
            }
            var precompressor = Precompressor()
            precompressor.bestQualityBudget = 110_000
            let result = try precompressor.addVariants(root: dir, files: files)
            for (name, quality) in [("a.js", 11), ("b.js", 11), ("c.js", precompressor.largeFileQuality)] {
                let input = try #require(inputs[name])
                let variant = try #require(result[name]?.variants?["br"])
                let made = try Array(Data(contentsOf: URL(fileURLWithPath: dir + "/" + variant.path)))
                #expect(made == (try BrotliCodec(quality: quality, sizeHint: Int64(input.count)).compressed(input)), "\(name) at quality \(quality)")
            }
        }
    }
}
