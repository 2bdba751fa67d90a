import BundleIndex
import Foundation
import Logging
import TestSupport
import Testing

@testable import UIServe

/// A uiserve process killed (SIGKILL) in the middle of extracting a bundle leaves nothing that a
/// restart would serve: the half-made tree is in `.staging`, which start-up deletes.
@Suite struct CrashSafetyTests {
    @Test func killedDuringExtractionLeavesNothingServable() async throws {
        let binary = Fixtures.uiserveBinary
        try #require(FileManager.default.isExecutableFile(atPath: binary), "build uiserve first (swift build)")
        try await Fixtures.withTemporaryDirectory { dir in
            // A bundle of 3000 files of 16 KiB: slow enough to extract that the kill lands inside.
            let folder = dir + "/big"
            try FileManager.default.copyItem(atPath: Fixtures.path("demo/src"), toPath: folder)
            let made = try await Shell.runAsync("/bin/sh", ["-c", "mkdir -p '\(folder)/ui/blobs' && cd '\(folder)/ui/blobs' && for i in $(seq 1 3000); do head -c 16384 /dev/urandom > f$i.bin; done"])
            #expect(made.status == 0)
            let archive = dir + "/big.tar.zst"
            let packed = try BundlePacker().pack(folder: folder, to: archive)
            let envelope = try BundleSigner(key: Fixtures.privateKey("ed25519")).envelope(hash: packed.contentHash, identity: BundleIdentity(packed.manifest))
            try envelope.encoded().write(to: URL(fileURLWithPath: dir + "/big.sig"))
            let registry = try await SQLRegistry.open(url: "sqlite://\(dir)/registry.sqlite")
            try await registry.migrate()
            let store = FolderBundleStore(root: dir + "/store")
            try FileManager.default.createDirectory(atPath: store.root, withIntermediateDirectories: true)
            try await ServerHarness.publish(registry: registry, store: store, bundle: archive, sig: dir + "/big.sig", hash: packed.contentHash, manifest: packed.manifest)
            try await registry.shutdown()

            let port = Int.random(in: 20_000...29_000)
            let server = Process()
            server.executableURL = URL(fileURLWithPath: binary)
            server.arguments = ["serve", "--port", String(port)]
            server.environment = ["REGISTRY_URL": "sqlite://\(dir)/registry.sqlite", "BUNDLE_STORE_BASE": store.root, "EXT_CACHE_ROOT": dir + "/cache",
                                  "SIGNING_TRUST_BUNDLE": Fixtures.path("trust/demo.pem"), "PATH": "/usr/bin:/bin"]
            server.standardOutput = FileHandle.nullDevice
            server.standardError = FileHandle.nullDevice
            try server.run()
            defer { if server.isRunning { kill(server.processIdentifier, SIGKILL) } }
            // Wait for the port, then ask for the bundle in the background.
            for _ in 0..<100 where try await Shell.runAsync("/usr/bin/curl", ["-s", "-o", "/dev/null", "http://127.0.0.1:\(port)/healthz"]).status != 0 {
                try await Task.sleep(for: .milliseconds(100))
            }
            let request = Process()
            request.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
            request.arguments = ["-s", "-o", "/dev/null", "--max-time", "60", "http://127.0.0.1:\(port)/ext-ui/acme.hello/\(packed.contentHash)/"]
            try request.run()
            // Kill as soon as the extraction has written part of the tree.
            var killedMidway = false
            for _ in 0..<3000 {
                let staging = (try? FileManager.default.subpathsOfDirectory(atPath: dir + "/cache/.staging")) ?? []
                if staging.count > 200 {
                    kill(server.processIdentifier, SIGKILL)
                    killedMidway = true
                    break
                }
                try await Task.sleep(for: .milliseconds(5))
            }
            server.waitUntilExit()
            request.waitUntilExit()
            #expect(killedMidway, "the extraction finished before the kill; nothing was proven")
            #expect(!FileManager.default.fileExists(atPath: dir + "/cache/" + packed.contentHash.hex))

            // A restart cleans the leftovers and loads the bundle whole.
            let cache = try BundleCache(configuration: .init(root: dir + "/cache", keyTemplate: BundleKeyTemplate(), signaturePolicy: .required),
                                        store: store, trust: TrustBundle.load(path: Fixtures.path("trust/demo.pem")))
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/cache/.staging").isEmpty)
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/cache/.downloads").isEmpty)
            let record = BundleRecord(bundleID: "b", extensionRecord: .init(id: "e", publisher: "acme", name: "hello"), versionID: "v", version: "1.0.0",
                                      contentHash: packed.contentHash, signature: nil, storageKey: nil, sizeBytes: nil)
            let bundle = try await cache.bundle(for: record)
            #expect(bundle.index.files.count == 3007)
        }
    }
}
