import ArgumentParser
import BundleIndex
import Foundation

/// `uiserve bundle verify`: checks a bundle's hash, statement and signature against a trust bundle.
/// Exit 0 valid, 1 invalid (with the reason), 2 usage or IO error.
struct BundleVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify a bundle's signature envelope against a trust bundle (exit 0 valid, 1 invalid, 2 error)."
    )

    @Option(name: .customLong("trust-bundle"), help: "PEM file of trusted PUBLIC KEY and/or root CERTIFICATE blocks.")
    var trustBundle: String

    @Option(help: "The DSSE envelope (default: bundle.sig beside the archive).")
    var sig: String?

    @Argument(help: "The bundle archive.")
    var bundle: String

    func run() throws {
        let trust = try TrustBundle.load(path: trustBundle)
        let sigPath = sig ?? BundleCommand.sidecarPath(for: bundle)
        let envelopeData = try readFile(sigPath)
        guard FileManager.default.isReadableFile(atPath: bundle) else {
            throw BundleIndexError(.io, "\(bundle): no such file or not readable")
        }
        let inspection: BundleInspection
        do {
            inspection = try BundleInspection.inspect(path: bundle)
        } catch let error as BundleIndexError where error.code == .archive {
            return try invalid(error.message)
        }
        print("bundle:    \(bundle)")
        print("hash:      \(inspection.contentHash) (computed from the archive bytes)")
        let manifest: ExtensionManifest
        switch inspection.manifest {
        case .success(let value): manifest = value
        case .failure(let error): return try invalid(error.message)
        }
        print("manifest:  \(BundleIdentity(manifest))")
        let envelope: DSSEEnvelope
        do {
            envelope = try DSSEEnvelope.parse(envelopeData, source: sigPath)
        } catch let error as BundleIndexError {
            return try invalid(error.message)
        }
        let check = SignatureVerifier(trust: trust).verify(
            envelope: envelope, hash: inspection.contentHash, expected: BundleIdentity(manifest), at: Date())
        switch check {
        case .valid(let signer):
            print("statement: subject digest = bundle hash; predicate = \(BundleIdentity(manifest))")
            let via = signer.certificateSubject.map { ", certificate \($0)" } ?? ""
            print("signature: \(signer.algorithm.rawValue), key id \(signer.keyID)\(via)")
            print("VALID")
        case .invalid(let reason):
            try invalid("\(sigPath): \(reason)")
        }
    }

    private func invalid(_ reason: String) throws {
        Terminal.error("INVALID: \(reason)")
        throw ExitCode(1)
    }
}
