import ArgumentParser
import BundleIndex
import Foundation

/// `uiserve bundle …`: the publisher's tools for making and checking signed bundles.
struct BundleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bundle",
        abstract: "Pack, sign, verify and inspect extension bundles.",
        subcommands: [BundlePackCommand.self, BundleSignCommand.self, BundleVerifyCommand.self, BundleInspectCommand.self, BundlePublishCommand.self,
                      BundleExtractCommand.self]
    )

    /// The detached signature path beside an archive: `x/bundle.tar.zst` → `x/bundle.sig`.
    static func sidecarPath(for bundle: String) -> String {
        for suffix in [".tar.zst", ".tar.gz", ".tgz", ".tar"] where bundle.hasSuffix(suffix) {
            return String(bundle.dropLast(suffix.count)) + ".sig"
        }
        return bundle + ".sig"
    }

    /// Checks a local archive's signature under `SIGNING_POLICY` against `SIGNING_TRUST_BUNDLE`, as
    /// the server would: `off` checks nothing, `optional` accepts a missing sidecar (unless `sig`
    /// was named) but never a bad envelope. Returns the accepted envelope's text.
    static func checkSignature(of bundle: String, hash: ContentHash, manifest: ExtensionManifest, sig: String?, config: Configuration) throws -> String? {
        guard config.signaturePolicy != .off else { return nil }
        let sigPath = sig ?? sidecarPath(for: bundle)
        let data: Data
        do {
            data = try readFile(sigPath)
        } catch {
            if config.signaturePolicy == .optional && sig == nil { return nil }
            throw error
        }
        let envelope = try DSSEEnvelope.parse(data, source: sigPath)
        guard let trust = try config.loadTrust() else { throw UIServeError.configuration("SIGNING_TRUST_BUNDLE is not set") }
        if case .invalid(let reason) = SignatureVerifier(trust: trust).verify(envelope: envelope, hash: hash, expected: BundleIdentity(manifest), at: Date()) {
            throw BundleIndexError(.signatureInvalid, "\(sigPath): \(reason)")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
