import BundleIndex
import Foundation
import TestSupport
import Testing

/// `uiserve bundle extract` as an operator runs it: a local archive (signature checked under the
/// policy) or a published bundle fetched from the store and verified, into a new directory.
@Suite struct BundleExtractCLITests {
    @Test func extractsDistFromALocalArchive() async throws {
        try await Fixtures.withTemporaryDirectory { dir in
            let environment = ["SIGNING_TRUST_BUNDLE": Fixtures.path("trust/demo.pem"), "EXT_CACHE_ROOT": dir + "/cache"]
            let result = try await RegistryCLITests.uiserve(environment: environment, ["bundle", "extract", Fixtures.demoBundle, "--prefix", "dist/", "-o", dir + "/dist"])
            #expect(result.status == 0, "\(result.error)")
            #expect(result.output.contains("extracted 1 files"))
            #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/dist/main.wasm")).count == 8)
            // The output must be new; a bad signature refuses; both write nothing.
            RegistryCLITests.expectRefusal(try await RegistryCLITests.uiserve(environment: environment, ["bundle", "extract", Fixtures.demoBundle, "--prefix", "dist/", "-o", dir + "/dist"]), "already exists")
            RegistryCLITests.expectRefusal(try await RegistryCLITests.uiserve(environment: environment, [
                "bundle", "extract", Fixtures.demoBundle, "--sig", Fixtures.path("hostile/sig/other-extension.sig"), "--prefix", "dist/", "-o", dir + "/x",
            ]), "statement is for extension")
            #expect(!FileManager.default.fileExists(atPath: dir + "/x"))
        }
    }

    @Test(arguments: ["symlink-outside-ui.tar.zst", "hardlink-outside-ui.tar.zst", "dotdot.tar.zst", "device.tar.zst"])
    func hostileArchivesWriteNothing(_ file: String) async throws {
        try await Fixtures.withTemporaryDirectory { dir in
            let result = try await RegistryCLITests.uiserve(environment: ["SIGNING_POLICY": "off"], [
                "bundle", "extract", Fixtures.path("hostile/" + file), "--prefix", "dist/", "-o", dir + "/out",
            ])
            RegistryCLITests.expectRefusal(result, "bundle refused")
            #expect(!FileManager.default.fileExists(atPath: dir + "/out"))
        }
    }

    @Test func extractsAPublishedBundleByVersionOrHash() async throws {
        try await Fixtures.withTemporaryDirectory { dir in
            let registry = try await SQLRegistry.open(url: "sqlite://\(dir)/registry.sqlite")
            try await registry.migrate()
            let store = FolderBundleStore(root: dir + "/store")
            try FileManager.default.createDirectory(atPath: store.root, withIntermediateDirectories: true)
            let hash = try FileDigest.contentHash(ofFileAt: Fixtures.demoBundle)
            let key = try BundleKeyTemplate().archiveKey(hash: hash)
            try await store.put(key: key, from: Fixtures.demoBundle)
            try await store.put(key: BundleKeyTemplate.signatureKey(besides: key), from: Fixtures.path("demo/bundle.sig"))
            _ = try await registry.publish(manifest: try ExtensionManifest.parse(Fixtures.data("demo/src/manifest.json")), hash: hash,
                                           signature: nil, storageKey: key, size: 0)
            try await registry.shutdown()
            let environment = ["REGISTRY_URL": "sqlite://\(dir)/registry.sqlite", "BUNDLE_STORE_BASE": store.root,
                               "SIGNING_TRUST_BUNDLE": Fixtures.path("trust/demo.pem"), "EXT_CACHE_ROOT": dir + "/cache"]
            let byVersion = try await RegistryCLITests.uiserve(environment: environment, ["bundle", "extract", "acme.hello@1.0.0", "--prefix", "ui/", "-o", dir + "/ui"])
            #expect(byVersion.status == 0, "\(byVersion.error)")
            #expect(FileManager.default.fileExists(atPath: dir + "/ui/index.html"))
            let byHash = try await RegistryCLITests.uiserve(environment: environment, ["bundle", "extract", "acme.hello@\(hash)", "--prefix", "dist", "-o", dir + "/dist"])
            #expect(byHash.status == 0, "\(byHash.error)")
            #expect(FileManager.default.fileExists(atPath: dir + "/dist/main.wasm"))
            RegistryCLITests.expectRefusal(try await RegistryCLITests.uiserve(environment: environment, ["bundle", "extract", "acme.hello@9.9.9", "--prefix", "ui/", "-o", dir + "/n"]), "9.9.9")
            RegistryCLITests.expectRefusal(try await RegistryCLITests.uiserve(environment: environment, ["bundle", "extract", "nothing-here", "--prefix", "ui/", "-o", dir + "/n"]), "no such file")
        }
    }
}
