import BundleIndex
import Foundation
import TestSupport
import Testing

@testable import UIServe

/// Signatures are makeable and checkable with stock tools: the README's openssl recipe
/// (scripts/sign-with-openssl.sh) is accepted by `uiserve bundle verify`, and `openssl pkeyutl
/// -verify` accepts what `uiserve bundle sign` makes.
@Suite struct OpenSSLInteropTests {
    static let script = Fixtures.repositoryRoot + "/scripts/sign-with-openssl.sh"

    @Test(arguments: ["ed25519", "p256", "rsa3072"])
    func opensslSignsUIServeVerifies(_ algorithm: String) async throws {
        try await Fixtures.withTemporaryDirectory { dir in
            let result = try Shell.run("/bin/sh", [Self.script, Fixtures.demoBundle, Fixtures.path("keys/\(algorithm).pem"), "acme", "hello", "1.0.0"])
            #expect(result.status == 0, "\(result.error)")
            let sig = dir + "/openssl.sig"
            try Data(result.output.utf8).write(to: URL(fileURLWithPath: sig))
            #expect(await UIServe.run(arguments: ["bundle", "verify", "--trust-bundle", Fixtures.path("trust/keys.pem"), "--sig", sig, Fixtures.demoBundle]) == 0)
            // The same recipe naming another version is refused: the statement is bound.
            let wrong = try Shell.run("/bin/sh", [Self.script, Fixtures.demoBundle, Fixtures.path("keys/\(algorithm).pem"), "acme", "hello", "2.0.0"])
            try Data(wrong.output.utf8).write(to: URL(fileURLWithPath: sig))
            #expect(await UIServe.run(arguments: ["bundle", "verify", "--trust-bundle", Fixtures.path("trust/keys.pem"), "--sig", sig, Fixtures.demoBundle]) == 1)
        }
    }

    @Test(arguments: [
        ("ed25519", [String]()),
        ("p256", ["-digest", "sha256"]),
        ("rsa3072", ["-digest", "sha256", "-pkeyopt", "rsa_padding_mode:pss", "-pkeyopt", "rsa_pss_saltlen:digest"]),
    ])
    func uiserveSignsOpenSSLVerifies(_ algorithm: String, _ options: [String]) async throws {
        try await Fixtures.withTemporaryDirectory { dir in
            let sig = dir + "/bundle.sig"
            #expect(await UIServe.run(arguments: ["bundle", "sign", "--key", Fixtures.path("keys/\(algorithm).pem"), Fixtures.demoBundle, "-o", sig]) == 0)
            let envelope = try DSSEEnvelope.parse(Data(contentsOf: URL(fileURLWithPath: sig)), source: sig)
            let pae = DSSEEnvelope.pae(payloadType: envelope.payloadType, payload: try envelope.payloadBytes())
            try Data(pae).write(to: URL(fileURLWithPath: dir + "/pae.bin"))
            try Data(DSSEEnvelope.decodeBase64(envelope.signatures[0].sig)!).write(to: URL(fileURLWithPath: dir + "/sig.bin"))
            let verify = try Shell.run("/usr/bin/openssl", ["pkeyutl", "-verify", "-pubin", "-inkey", Fixtures.path("keys/\(algorithm).pub.pem"),
                                                            "-rawin", "-in", dir + "/pae.bin", "-sigfile", dir + "/sig.bin"] + options)
            #expect(verify.status == 0, "\(verify.output) \(verify.error)")
            #expect(verify.output.contains("Signature Verified Successfully"))
            // Flip one byte of the PAE: openssl must now refuse, so the check above means something.
            var tampered = pae
            tampered[tampered.count - 3] ^= 1
            try Data(tampered).write(to: URL(fileURLWithPath: dir + "/pae.bin"))
            let refused = try Shell.run("/usr/bin/openssl", ["pkeyutl", "-verify", "-pubin", "-inkey", Fixtures.path("keys/\(algorithm).pub.pem"),
                                                             "-rawin", "-in", dir + "/pae.bin", "-sigfile", dir + "/sig.bin"] + options)
            #expect(refused.status != 0)
        }
    }

    @Test func readmeRecipeIsTheTestedScript() async throws {
        let readme = try String(contentsOfFile: Fixtures.repositoryRoot + "/README.md", encoding: .utf8)
        let script = try String(contentsOfFile: Self.script, encoding: .utf8)
        #expect(readme.contains("```sh\n" + script + "```"))
    }
}
