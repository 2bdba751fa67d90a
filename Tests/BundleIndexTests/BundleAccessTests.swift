import BundleIndex
import Foundation
import TestSupport
import Testing

/// The bundle helpers over a real folder store: verified bytes, listing, any subtree under the
/// `ui/` rules, and precompiled artifacts inside the bundle or beside it.
@Suite struct BundleAccessTests {
    static let record = BundleRecord(bundleID: "b1", extensionRecord: ExtensionRecord(id: "ext-1", publisher: "acme", name: "hello"),
                                     versionID: "v1", version: "1.0.0", contentHash: try! FileDigest.contentHash(ofFileAt: Fixtures.demoBundle),
                                     signature: nil, storageKey: nil, sizeBytes: nil)

    /// A folder store holding `bundle` (and `sig`) under the default key of its hash, and an access
    /// over it with the demo trust bundle (or no signatures at all).
    static func withAccess(bundle: String = Fixtures.demoBundle, sig: String? = Fixtures.path("demo/bundle.sig"), signed: Bool = true,
                           _ body: (BundleAccess, FolderBundleStore, BundleRecord, String) async throws -> Void) async throws {
        try await Fixtures.withTemporaryDirectory { dir in
            let store = FolderBundleStore(root: dir + "/store")
            try FileManager.default.createDirectory(atPath: store.root, withIntermediateDirectories: true)
            let hash = try FileDigest.contentHash(ofFileAt: bundle)
            let key = try BundleKeyTemplate().archiveKey(hash: hash)
            try await store.put(key: key, from: bundle)
            if let sig { try await store.put(key: BundleKeyTemplate.signatureKey(besides: key), from: sig) }
            var record = Self.record
            record.contentHash = hash
            let access = try BundleAccess(configuration: .init(scratch: dir + "/scratch", keyTemplate: BundleKeyTemplate(), signaturePolicy: signed ? .required : .off),
                                          store: store, trust: signed ? try TrustBundle.load(path: Fixtures.path("trust/demo.pem")) : nil)
            try await body(access, store, record, dir)
            // Nothing is left behind in the scratch directory, whatever happened.
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/scratch").isEmpty)
        }
    }

    @Test func streamsExactlyTheVerifiedBytes() async throws {
        try await Self.withAccess { access, _, record, _ in
            let stream = try await access.bundleStream(record, chunkSize: 4096)
            var bytes: [UInt8] = []
            for try await chunk in stream { bytes += chunk }
            #expect(bytes == Array(try Fixtures.data("demo/bundle.tar.zst")))
            #expect(stream.size == Int64(bytes.count))
            // A second pass reads the same bytes again.
            var again = 0
            for try await chunk in stream { again += chunk.count }
            #expect(again == bytes.count)
        }
    }

    @Test func tamperedBytesAreNeverStreamed() async throws {
        try await Self.withAccess { access, store, record, dir in
            let key = try BundleKeyTemplate().archiveKey(hash: record.contentHash)
            var bytes = Array(try Fixtures.data("demo/bundle.tar.zst"))
            bytes[bytes.count / 2] ^= 0xff
            try Data(bytes).write(to: URL(fileURLWithPath: store.root + "/" + key))
            let error = await #expect(throws: BundleIndexError.self) { try await access.bundleStream(record) }
            #expect(error?.code == .hashMismatch)
        }
    }

    @Test func aBadSignatureRefusesEveryHelper() async throws {
        try await Self.withAccess(sig: Fixtures.path("hostile/sig/other-extension.sig")) { access, _, record, dir in
            let error = await #expect(throws: BundleIndexError.self) { try await access.bundleIndex(record) }
            #expect(error?.code == .signatureInvalid)
            await #expect(throws: BundleIndexError.self) { try await access.extractSubtree(record, prefix: "dist/", into: dir + "/out") }
            #expect(!FileManager.default.fileExists(atPath: dir + "/out"))
        }
    }

    @Test func indexListsManifestAndEntries() async throws {
        try await Self.withAccess { access, _, record, _ in
            let contents = try await access.bundleIndex(record)
            #expect(contents.manifest.qualifiedName == "acme.hello")
            #expect(contents.contentHash == record.contentHash.description)
            #expect(contents.signerKeyID != nil)
            let wasm = try #require(contents.entries.first { $0.path == "dist/main.wasm" })
            #expect(wasm.type == "file" && wasm.size == 8)
            #expect(contents.entries.contains { $0.path == "ui/index.html" && $0.type == "file" })
            #expect(contents.entries.contains { $0.path == "manifest.json" })
        }
    }

    @Test func extractsAnyTopLevelSubtreeReadOnly() async throws {
        try await Self.withAccess { access, _, record, dir in
            let result = try await access.extractSubtree(record, prefix: "dist", into: dir + "/dist")
            #expect(Array(result.files.keys) == ["main.wasm"])
            #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/dist/main.wasm")) == Data([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]))
            var info = stat()
            #expect(stat(dir + "/dist/main.wasm", &info) == 0 && info.st_mode & 0o777 == 0o444)
            let ui = try await access.extractSubtree(record, prefix: "ui/", into: dir + "/ui")
            #expect(ui.files["index.html"] != nil)
            for prefix in ["", ".", "..", "../etc/", "dist/sub/", "/dist", "a b/"] {
                let error = await #expect(throws: BundleIndexError.self, "\(prefix)") { try await access.extractSubtree(record, prefix: prefix, into: dir + "/bad") }
                #expect(error?.code == .configuration)
            }
            let missing = await #expect(throws: BundleIndexError.self) { try await access.extractSubtree(record, prefix: "sbom/", into: dir + "/none") }
            #expect(missing?.message.contains("no sbom/") == true)
        }
    }

    /// `dist/` refuses every hostile entry `ui/` refuses, naming the same rule (a bundle without
    /// `ui/` has a `dist/` problem instead: it has none either).
    @Test(arguments: SafeExtractorTests.refusals)
    func distRefusesWhatUIRefuses(_ file: String, _ rule: String) async throws {
        try await Self.withAccess(bundle: Fixtures.path("hostile/" + file), sig: nil, signed: false) { access, _, record, dir in
            let error = await #expect(throws: BundleIndexError.self) { try await access.extractSubtree(record, prefix: "dist/", into: dir + "/out") }
            let expected = rule == "no ui/" ? "no dist/" : rule
            #expect(error?.message.contains(expected) == true, "\(file): \(error?.message ?? "")")
            #expect(!FileManager.default.fileExists(atPath: dir + "/out"))
            #expect(!FileManager.default.fileExists(atPath: "/tmp/uiserve-pwned"))
        }
    }

    @Test func precompiledInsideTheBundle() async throws {
        try await Fixtures.withTemporaryDirectory { dir in
            try FileManager.default.copyItem(atPath: Fixtures.path("demo/src"), toPath: dir + "/src")
            try FileManager.default.createDirectory(atPath: dir + "/src/precompiled", withIntermediateDirectories: true)
            try Data("cwasm-bytes".utf8).write(to: URL(fileURLWithPath: dir + "/src/precompiled/x86_64-linux.cwasm"))
            let packed = try BundlePacker().pack(folder: dir + "/src", to: dir + "/b.tar.zst")
            let envelope = try BundleSigner(key: Fixtures.privateKey("ed25519")).envelope(hash: packed.contentHash, identity: Fixtures.demoIdentity)
            try envelope.encoded().write(to: URL(fileURLWithPath: dir + "/b.sig"))
            try await Self.withAccess(bundle: dir + "/b.tar.zst", sig: dir + "/b.sig") { access, _, record, work in
                let artifact = try #require(try await access.precompiledArtifact(record, target: "x86_64-linux", into: work + "/a.cwasm"))
                #expect(artifact.source == .bundle)
                #expect(artifact.size == 11)
                #expect(try String(contentsOfFile: work + "/a.cwasm", encoding: .utf8) == "cwasm-bytes")
                #expect(try await access.precompiledArtifact(record, target: "aarch64-linux", into: work + "/b.cwasm") == nil)
                #expect(!FileManager.default.fileExists(atPath: work + "/b.cwasm"))
            }
        }
    }

    @Test func precompiledSidecarNeedsItsOwnSignature() async throws {
        try await Self.withAccess { access, store, record, dir in
            #expect(try await access.precompiledArtifact(record, target: "x86_64-linux", into: dir + "/none.cwasm") == nil)
            let key = "sha256/\(record.contentHash.hex)/precompiled/x86_64-linux.cwasm"
            try Data("sidecar-cwasm".utf8).write(to: URL(fileURLWithPath: dir + "/side.cwasm"))
            try await store.put(key: key, from: dir + "/side.cwasm")
            // Unsigned: refused under the required policy, nothing written.
            let unsigned = await #expect(throws: BundleIndexError.self) {
                try await access.precompiledArtifact(record, target: "x86_64-linux", into: dir + "/a.cwasm")
            }
            #expect(unsigned?.code == .signatureInvalid)
            #expect(!FileManager.default.fileExists(atPath: dir + "/a.cwasm"))
            // Signed for another extension: refused too.
            let hash = try FileDigest.contentHash(ofFileAt: dir + "/side.cwasm")
            let signer = try BundleSigner(key: Fixtures.privateKey("ed25519"))
            try signer.envelope(hash: hash, identity: BundleIdentity(publisher: "evil", name: "hello", version: "1.0.0")).encoded()
                .write(to: URL(fileURLWithPath: dir + "/wrong.sig"))
            try await store.put(key: key + ".sig", from: dir + "/wrong.sig")
            await #expect(throws: BundleIndexError.self) { try await access.precompiledArtifact(record, target: "x86_64-linux", into: dir + "/a.cwasm") }
            // Signed for this extension: accepted.
            try FileManager.default.removeItem(atPath: store.root + "/" + key + ".sig")
            try signer.envelope(hash: hash, identity: Fixtures.demoIdentity).encoded().write(to: URL(fileURLWithPath: dir + "/good.sig"))
            try await store.put(key: key + ".sig", from: dir + "/good.sig")
            let artifact = try #require(try await access.precompiledArtifact(record, target: "x86_64-linux", into: dir + "/a.cwasm"))
            #expect(artifact.source == .sidecar(key: key))
            #expect(artifact.sha256 == hash.hex)
            #expect(try String(contentsOfFile: dir + "/a.cwasm", encoding: .utf8) == "sidecar-cwasm")
            for target in ["../x", "", "a/b", ".."] {
                await #expect(throws: BundleIndexError.self) { try await access.precompiledArtifact(record, target: target, into: dir + "/t.cwasm") }
            }
        }
    }
}
