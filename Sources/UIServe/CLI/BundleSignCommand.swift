import ArgumentParser
import BundleIndex
import Foundation

/// `uiserve bundle sign`: writes the DSSE envelope (in-toto statement) for a bundle.
struct BundleSignCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign",
        abstract: "Sign a bundle: a DSSE envelope over an in-toto statement of its hash and manifest identity."
    )

    @Option(help: "Private key PEM (Ed25519, ECDSA P-256 or RSA >= 2048; unencrypted).")
    var key: String

    @Option(name: .customLong("cert-chain"), help: "PEM chain for the key, leaf first (for trust bundles of roots).")
    var certChain: String?

    @Option(help: "Append this signature to an existing envelope (key rotation) instead of starting a new one.")
    var add: String?

    @Argument(help: "The bundle archive.")
    var bundle: String

    @Option(name: .shortAndLong, help: "Where to write the envelope (may be the --add file).")
    var output: String

    func run() throws {
        let key = try LibCrypto.Key.privateKey(pem: try readFile(self.key), source: self.key)
        var chain: [LibCrypto.Certificate] = []
        if let certChain {
            let blocks = try PEMDocument(text: String(decoding: try readFile(certChain), as: UTF8.self), source: certChain).blocks
            chain = try blocks.enumerated().map { index, block in
                guard block.label == "CERTIFICATE" else {
                    throw BundleIndexError(.invalidKey, "\(certChain): block \(index + 1) is '\(block.label)', expected CERTIFICATE")
                }
                return try LibCrypto.Certificate(der: block.der, source: "\(certChain): block \(index + 1)")
            }
            guard let leaf = chain.first else { throw BundleIndexError(.invalidKey, "\(certChain): no CERTIFICATE block") }
            guard try leaf.publicKey().keyID == key.keyID else {
                throw BundleIndexError(.invalidKey, "\(certChain): the first certificate does not certify the key in \(self.key)")
            }
        }
        let inspection = try BundleInspection.inspect(path: bundle)
        let manifest = try inspection.manifest.get()
        let identity = BundleIdentity(manifest)
        let signer = BundleSigner(key: key, chain: chain)
        let envelope: DSSEEnvelope
        if let add {
            let existing = try DSSEEnvelope.parse(try readFile(add), source: add)
            envelope = try signer.adding(to: existing, hash: inspection.contentHash, identity: identity, source: add)
        } else {
            envelope = try signer.envelope(hash: inspection.contentHash, identity: identity)
        }
        try AtomicOutput.write(envelope.encoded(), to: output)
        print("signed \(identity) \(inspection.contentHash) with \(key.algorithm.rawValue) key \(key.keyID) -> \(output) (\(envelope.signatures.count) signature\(envelope.signatures.count == 1 ? "" : "s"))")
    }
}

/// Reads a whole small file (keys, envelopes), naming it in the error.
func readFile(_ path: String) throws -> Data {
    do {
        return try Data(contentsOf: URL(fileURLWithPath: path))
    } catch {
        let reason = (error as NSError).code == NSFileReadNoSuchFileError ? "no such file" : "cannot read"
        throw BundleIndexError(.io, "\(path): \(reason)", cause: error)
    }
}
