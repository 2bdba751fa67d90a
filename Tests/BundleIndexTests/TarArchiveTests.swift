import BundleIndex
import Foundation
import TestSupport
import Testing

@Suite struct TarArchiveTests {
    static func demoCopy(in dir: String) throws -> String {
        let folder = dir + "/src"
        try FileManager.default.copyItem(atPath: Fixtures.path("demo/src"), toPath: folder)
        return folder
    }

    @Test func packIsDeterministic() throws {
        try Fixtures.withTemporaryDirectory { dir in
            let folder = try Self.demoCopy(in: dir)
            let first = try BundlePacker().pack(folder: folder, to: dir + "/a.tar.zst")
            // Touch every file: new mtimes and modes must not change the bytes.
            for path in try FileManager.default.subpathsOfDirectory(atPath: folder) {
                try FileManager.default.setAttributes([.modificationDate: Date(), .posixPermissions: 0o600], ofItemAtPath: folder + "/" + path)
            }
            let second = try BundlePacker().pack(folder: folder, to: dir + "/b.tar.zst")
            #expect(first.contentHash == second.contentHash)
            // And it is the committed demo bundle, packed by the fixture generator from the same folder.
            #expect(first.contentHash == (try FileDigest.contentHash(ofFileAt: Fixtures.demoBundle)))
        }
    }

    @Test func stockTarReadsThePack() throws {
        try Fixtures.withTemporaryDirectory { dir in
            _ = try BundlePacker().pack(folder: try Self.demoCopy(in: dir), to: dir + "/b.tar.zst")
            let listing = try Shell.run("/usr/bin/tar", ["--zstd", "-tvf", dir + "/b.tar.zst"])
            #expect(listing.status == 0)
            let lines = listing.output.split(separator: "\n")
            #expect(lines.contains { $0.hasSuffix(" ui/index.html") && $0.contains("0/0") && $0.contains("1970-01-01") })
            #expect(lines.contains { $0.hasSuffix(" manifest.json") })
            let names = lines.map { String($0.split(separator: " ").last!) }
            #expect(names == names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        }
    }

    @Test func packRefusesWhatIsNotABundle() throws {
        try Fixtures.withTemporaryDirectory { dir in
            let folder = try Self.demoCopy(in: dir)
            let output = dir + "/out.tar.zst"
            func refusal() -> String? {
                do {
                    _ = try BundlePacker().pack(folder: folder, to: output)
                    return nil
                } catch { return "\(error)" }
            }
            try FileManager.default.createSymbolicLink(atPath: folder + "/ui/link.js", withDestinationPath: "app.js")
            #expect(refusal()?.contains("ui/link.js: symbolic links are not allowed") == true)
            try FileManager.default.removeItem(atPath: folder + "/ui/link.js")

            try Data().write(to: URL(fileURLWithPath: folder + "/README.md"))
            #expect(refusal()?.contains("README.md: not part of a bundle") == true)
            try FileManager.default.removeItem(atPath: folder + "/README.md")

            try FileManager.default.moveItem(atPath: folder + "/ui/index.html", toPath: folder + "/ui/main.html")
            #expect(refusal()?.contains("ui/index.html (the manifest's ui.entry) does not exist") == true)
            try FileManager.default.removeItem(atPath: folder + "/ui")
            #expect(refusal()?.contains("ui: missing") == true)
            try FileManager.default.removeItem(atPath: folder + "/manifest.json")
            #expect(refusal()?.contains("manifest.json: missing") == true)
            // Nothing was written by any failed attempt, not even a temporary file.
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["src"])
        }
    }

    @Test(arguments: [
        ("dotdot.tar.zst", "ui/../../etc/uiserve-pwned", "file"),
        ("dotdot.tar", "ui/../../etc/uiserve-pwned", "file"),
        ("absolute.tar.zst", "/tmp/uiserve-pwned", "file"),
        ("symlink-escape.tar.zst", "ui/passwd", "symlink"),
        ("hardlink-escape.tar.zst", "ui/shadow", "hardlink"),
        ("device.tar.zst", "ui/null", "chardev"),
        ("fifo.tar.zst", "ui/pipe", "fifo"),
        ("non-utf8.tar.zst", "ui/caf\\xE9.js", "file"),
        ("control-char.tar.zst", "ui/evil\\x01.js", "file"),
    ])
    func readerReportsHostileEntriesAsTheyAre(_ file: String, _ path: String, _ kind: String) throws {
        let inspection = try BundleInspection.inspect(path: Fixtures.path("hostile/" + file))
        #expect(inspection.entries.contains { $0.displayPath == path && $0.kind.name == kind })
    }

    @Test func readerGivesRawBytesOfNonUTF8Names() throws {
        let inspection = try BundleInspection.inspect(path: Fixtures.path("hostile/non-utf8.tar.zst"))
        let entry = try #require(inspection.entries.first { $0.displayPath.hasPrefix("ui/caf") })
        #expect(entry.pathBytes == [0x75, 0x69, 0x2f, 0x63, 0x61, 0x66, 0xe9, 0x2e, 0x6a, 0x73])
        #expect(EntryPathPolicy().check(entry.pathBytes) == .refused(.invalidUTF8))
    }

    @Test func symlinkTargetsAreReported() throws {
        let inspection = try BundleInspection.inspect(path: Fixtures.path("hostile/symlink-chain.tar.zst"))
        #expect(inspection.entries.contains { $0.kind == .symlink(target: Array("../..".utf8)) })
    }

    @Test func truncatedArchiveIsAnError() {
        #expect(throws: BundleIndexError.self) { try BundleInspection.inspect(path: Fixtures.path("hostile/truncated.tar.zst")) }
    }

    @Test func manifestProblemsAreReported() throws {
        let bad = try BundleInspection.inspect(path: Fixtures.path("hostile/bad-manifest.tar.zst"))
        #expect(throws: BundleIndexError.self) { try bad.manifest.get() }
        let none = try BundleInspection.inspect(path: Fixtures.path("hostile/no-manifest.tar.zst"))
        #expect(throws: BundleIndexError.self) { try none.manifest.get() }
    }

    @Test func writerRoundTripsThroughTheReader() throws {
        try Fixtures.withTemporaryDirectory { dir in
            for compression in [TarArchive.Compression.zstd, .gzip, .none] {
                let path = dir + "/t-\(compression)"
                let writer = try TarArchive.Writer(path: path, compression: compression)
                try writer.addDirectory("ui")
                try writer.addFile("ui/ünï.txt", bytes: Array("hello".utf8))
                try writer.finish()
                let reader = try TarArchive.Reader(path: path)
                #expect(try reader.next() == ArchiveEntry(pathBytes: Array("ui/".utf8), kind: .directory, declaredSize: 0))
                #expect(try reader.next() == ArchiveEntry(pathBytes: Array("ui/ünï.txt".utf8), kind: .file, declaredSize: 5))
                #expect(try reader.readAll(limit: 100) == Array("hello".utf8))
                #expect(try reader.next() == nil)
            }
        }
    }
}
