import BundleIndex
import Foundation
import TestSupport
import Testing

@testable import UIServe

/// The `uiserve bundle` commands end to end, in process, through the same entry point as the binary.
@Suite struct BundleCLITests {
    static func run(_ arguments: String...) async -> Int32 { await UIServe.run(arguments: arguments) }

    static func copyDemo(to dir: String) throws -> String {
        try FileManager.default.copyItem(atPath: Fixtures.path("demo/src"), toPath: dir + "/src")
        return dir + "/src"
    }

    @Test(arguments: ["ed25519", "p256", "rsa3072"])
    func packSignVerify(_ algorithm: String) async throws {
        try await Fixtures.withTemporaryDirectory { dir in
            let bundle = dir + "/bundle.tar.zst"
            let folder = try Self.copyDemo(to: dir)
            #expect(await Self.run("bundle", "pack", folder, "-o", bundle) == 0)
            #expect(await Self.run("bundle", "sign", "--key", Fixtures.path("keys/\(algorithm).pem"), bundle, "-o", dir + "/bundle.sig") == 0)
            // The sidecar beside the archive is found without --sig.
            #expect(await Self.run("bundle", "verify", "--trust-bundle", Fixtures.path("trust/keys.pem"), bundle) == 0)
            #expect(await Self.run("bundle", "verify", "--trust-bundle", Fixtures.path("trust/untrusted.pem"), bundle) == 1)
            #expect(await Self.run("bundle", "inspect", bundle) == 0)
            #expect(await Self.run("bundle", "inspect", "--json", bundle) == 0)
        }
    }

    @Test func certificateChainSigning() async throws {
        try await Fixtures.withTemporaryDirectory { dir in
            let sig = dir + "/chain.sig"
            #expect(await Self.run("bundle", "sign", "--key", Fixtures.path("keys/ca-leaf.pem"), "--cert-chain", Fixtures.path("keys/ca/leaf-chain.pem"),
                             Fixtures.demoBundle, "-o", sig) == 0)
            #expect(await Self.run("bundle", "verify", "--trust-bundle", Fixtures.path("trust/root.pem"), "--sig", sig, Fixtures.demoBundle) == 0)
            // A chain whose leaf certifies another key is refused before anything is written.
            #expect(await Self.run("bundle", "sign", "--key", Fixtures.path("keys/ed25519.pem"), "--cert-chain", Fixtures.path("keys/ca/leaf-chain.pem"),
                             Fixtures.demoBundle, "-o", dir + "/wrong.sig") == 2)
            #expect(!FileManager.default.fileExists(atPath: dir + "/wrong.sig"))
        }
    }

    @Test func keyRotationWithAdd() async throws {
        try await Fixtures.withTemporaryDirectory { dir in
            let sig = dir + "/bundle.sig"
            #expect(await Self.run("bundle", "sign", "--key", Fixtures.path("keys/ed25519.pem"), Fixtures.demoBundle, "-o", sig) == 0)
            #expect(await Self.run("bundle", "sign", "--key", Fixtures.path("keys/p256.pem"), "--add", sig, Fixtures.demoBundle, "-o", sig) == 0)
            let envelope = try DSSEEnvelope.parse(Data(contentsOf: URL(fileURLWithPath: sig)), source: sig)
            #expect(envelope.signatures.count == 2)
            #expect(await Self.run("bundle", "verify", "--trust-bundle", Fixtures.path("keys/p256.pub.pem"), "--sig", sig, Fixtures.demoBundle) == 0)
            #expect(await Self.run("bundle", "verify", "--trust-bundle", Fixtures.path("keys/ed25519.pub.pem"), "--sig", sig, Fixtures.demoBundle) == 0)
            // --add onto an envelope for another bundle is refused and leaves the envelope as it was.
            let before = try Data(contentsOf: URL(fileURLWithPath: sig))
            #expect(await Self.run("bundle", "sign", "--key", Fixtures.path("keys/rsa3072.pem"), "--add", sig, Fixtures.path("hostile/hash-mismatch.tar.zst"), "-o", sig) == 2)
            #expect(try Data(contentsOf: URL(fileURLWithPath: sig)) == before)
        }
    }

    @Test(arguments: [
        ("bad-signature.sig", 1), ("untrusted-key.sig", 1), ("untrusted-key-lying-keyid.sig", 1),
        ("trusted-key-lying-keyid.sig", 0), ("other-extension.sig", 1), ("other-version.sig", 1),
        ("other-digest.sig", 1), ("python-p256.sig", 0), ("python-rsa3072.sig", 0),
    ])
    func verifyExitCodes(_ sig: String, _ expected: Int32) async {
        #expect(await Self.run("bundle", "verify", "--trust-bundle", Fixtures.path("trust/keys.pem"), "--sig", Fixtures.path("hostile/sig/" + sig), Fixtures.demoBundle) == expected)
    }

    @Test func verifyInvalidBundles() async {
        let trust = Fixtures.path("trust/keys.pem"), sig = Fixtures.path("demo/bundle.sig")
        #expect(await Self.run("bundle", "verify", "--trust-bundle", trust, "--sig", sig, Fixtures.path("hostile/hash-mismatch.tar.zst")) == 1)
        #expect(await Self.run("bundle", "verify", "--trust-bundle", trust, "--sig", sig, Fixtures.path("hostile/truncated.tar.zst")) == 1)
        #expect(await Self.run("bundle", "verify", "--trust-bundle", trust, "--sig", sig, Fixtures.path("hostile/bad-manifest.tar.zst")) == 1)
    }

    @Test func usageAndIOErrorsExitTwo() async {
        let trust = Fixtures.path("trust/keys.pem")
        #expect(await Self.run("bundle", "verify", "--trust-bundle", "/nonexistent/trust.pem", Fixtures.demoBundle) == 2)
        #expect(await Self.run("bundle", "verify", "--trust-bundle", trust, "/nonexistent/bundle.tar.zst") == 2)
        #expect(await Self.run("bundle", "verify", "--trust-bundle", trust, "--sig", "/nonexistent.sig", Fixtures.demoBundle) == 2)
        #expect(await Self.run("bundle", "verify", Fixtures.demoBundle) == 2)
        #expect(await Self.run("bundle", "verify", "--trust-bundle", Fixtures.path("keys/ed25519.pem"), Fixtures.demoBundle) == 2)
        #expect(await Self.run("bundle", "frobnicate") == 2)
        #expect(await Self.run("bundle", "inspect", "/nonexistent.tar.zst") == 2)
    }

    @Test func failuresWriteNothing() async throws {
        try await Fixtures.withTemporaryDirectory { dir in
            #expect(await Self.run("bundle", "sign", "--key", Fixtures.path("keys/ed25519.pub.pem"), Fixtures.demoBundle, "-o", dir + "/a.sig") == 2)
            #expect(await Self.run("bundle", "sign", "--key", Fixtures.path("keys/ed25519.pem"), Fixtures.path("hostile/bad-manifest.tar.zst"), "-o", dir + "/b.sig") == 2)
            #expect(await Self.run("bundle", "sign", "--key", Fixtures.path("keys/ed25519.pem"), Fixtures.path("hostile/truncated.tar.zst"), "-o", dir + "/c.sig") == 2)
            try FileManager.default.createDirectory(atPath: dir + "/empty", withIntermediateDirectories: false)
            #expect(await Self.run("bundle", "pack", dir + "/empty", "-o", dir + "/d.tar.zst") == 2)
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["empty"])
        }
    }
}
