import BundleIndex
import Foundation
import TestSupport
import Testing

/// Every hostile fixture is refused as a whole, with its rule named, and nothing is written outside
/// the destination (which is itself removed on refusal).
@Suite struct SafeExtractorTests {
    static let refusals: [(String, String)] = [
        ("dotdot.tar.zst", "'..' path segment"),
        ("dotdot.tar", "'..' path segment"),
        ("absolute.tar.zst", "absolute path"),
        ("absolute-ui.tar.zst", "absolute path"),
        ("dot-segment.tar.zst", "'.' path segment"),
        ("empty-segment.tar.zst", "empty path segment"),
        ("backslash.tar.zst", "backslash in path"),
        ("control-char.tar.zst", "NUL or control character in path"),
        ("non-utf8.tar.zst", "path is not valid UTF-8"),
        ("long-path.tar.zst", "path longer than the limit"),
        ("deep-path.tar.zst", "path deeper than the limit"),
        ("symlink-in-ui.tar.zst", "entry 'ui/link.html': symlink"),
        ("symlink-escape.tar.zst", "entry 'ui/passwd': symlink"),
        ("symlink-outside-ui.tar.zst", "entry 'dist/link': symlink"),
        ("symlink-chain.tar.zst", "entry 'ui/a': symlink"),
        ("hardlink-in-ui.tar.zst", "entry 'ui/hard.html': hardlink"),
        ("hardlink-escape.tar.zst", "entry 'ui/shadow': hardlink"),
        ("hardlink-outside-ui.tar.zst", "entry 'dist/hard': hardlink"),
        ("device.tar.zst", "entry 'ui/null': device node"),
        ("fifo.tar.zst", "entry 'ui/pipe': FIFO"),
        ("oversize-file.tar.zst", "entry 'ui/huge.bin': file larger than 33554432 bytes"),
        ("too-many-entries.tar.zst", "more than 10000 entries"),
        ("expanded-too-large.tar.zst", "bundle expands to more than 268435456 bytes"),
        ("no-ui.tar.zst", "no ui/"),
        ("duplicate-path.tar.zst", "entry 'ui/index.html': duplicate path"),
        ("no-manifest.tar.zst", "no manifest.json"),
        ("bad-manifest.tar.zst", "unknown top-level key 'surprise'"),
        ("truncated.tar.zst", "Truncated"),
    ]

    @Test(arguments: refusals)
    func refuses(_ file: String, _ rule: String) throws {
        try Fixtures.withTemporaryDirectory { dir in
            let destination = dir + "/cache/out"
            try FileManager.default.createDirectory(atPath: dir + "/cache", withIntermediateDirectories: true)
            var message = ""
            do {
                _ = try SafeExtractor().extract(archive: Fixtures.path("hostile/" + file), into: destination)
                Issue.record("\(file) was extracted")
            } catch let error as BundleIndexError {
                message = error.message
            }
            #expect(message.contains(rule), "\(file): \(message)")
            #expect(!FileManager.default.fileExists(atPath: destination))
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["cache"])
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/cache").isEmpty)
            #expect(!FileManager.default.fileExists(atPath: "/tmp/uiserve-pwned"))
        }
    }

    @Test func extractsTheDemoWithAnIndex() throws {
        try Fixtures.withTemporaryDirectory { dir in
            let result = try SafeExtractor().extract(archive: Fixtures.demoBundle, into: dir + "/ui")
            #expect(result.manifest.qualifiedName == "acme.hello")
            #expect(Set(result.files.keys) == ["index.html", "app.js", "style.css", "img/logo.png", "fonts/demo.woff2", "data/items.json", "settings/index.html"])
            let app = try #require(result.files["app.js"])
            let bytes = try Data(contentsOf: URL(fileURLWithPath: dir + "/ui/app.js"))
            #expect(app.size == Int64(bytes.count))
            #expect(app.sha256 == ContentHash(digest: LibCrypto.SHA256.digest(bytes)).hex)
            #expect(app.mediaType == "text/javascript; charset=utf-8")
            #expect(result.files["fonts/demo.woff2"]?.mediaType == "font/woff2")
            // Only ui/ is extracted: no manifest.json or dist/ in the tree.
            #expect(!FileManager.default.fileExists(atPath: dir + "/ui/manifest.json"))
            #expect(!FileManager.default.fileExists(atPath: dir + "/dist"))
        }
    }

    @Test func limitsAreConfigurable() throws {
        try Fixtures.withTemporaryDirectory { dir in
            let tight = ExtractionPolicy.Limits(maxEntries: 5)
            #expect(throws: BundleIndexError.self) { try SafeExtractor(limits: tight).extract(archive: Fixtures.demoBundle, into: dir + "/a") }
            let small = ExtractionPolicy.Limits(maxFileBytes: 1000)
            #expect(throws: BundleIndexError.self) { try SafeExtractor(limits: small).extract(archive: Fixtures.demoBundle, into: dir + "/b") }
        }
    }

    @Test func mediaTypesSniffUnknownExtensions() throws {
        let types = MediaTypes()
        let png = Array(try Fixtures.data("demo/src/ui/img/logo.png").prefix(64))
        #expect(types.mediaType(path: "a/b.JS", head: []) == "text/javascript; charset=utf-8")
        #expect(types.mediaType(path: "logo", head: png) == "image/png")
        #expect(types.mediaType(path: "blob.bin", head: [0, 1, 2, 3, 255]) == "application/octet-stream")
        #expect(types.mediaType(path: "README", head: Array("hello world\n".utf8)) == "text/plain; charset=utf-8")
    }
}
