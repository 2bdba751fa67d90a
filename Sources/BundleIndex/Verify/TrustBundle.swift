import Foundation

/// What a verifier trusts: one PEM file of `PUBLIC KEY` blocks (each trusted as is) and
/// `CERTIFICATE` blocks (each a root that signer chains must reach, with the codeSigning usage).
public struct TrustBundle: Sendable {
    /// Keys trusted directly.
    public let keys: [LibCrypto.Key]
    /// Root certificates.
    public let roots: [LibCrypto.Certificate]

    public init(keys: [LibCrypto.Key], roots: [LibCrypto.Certificate]) {
        self.keys = keys
        self.roots = roots
    }

    /// Parses a trust bundle; any other block kind (a private key, say) is refused by name.
    public init(pem: String, source: String) throws {
        var keys: [LibCrypto.Key] = []
        var roots: [LibCrypto.Certificate] = []
        for (index, block) in try PEMDocument(text: pem, source: source).blocks.enumerated() {
            let at = "\(source): block \(index + 1)"
            switch block.label {
            case "PUBLIC KEY": keys.append(try LibCrypto.Key.publicKey(spki: block.der, source: at))
            case "CERTIFICATE": roots.append(try LibCrypto.Certificate(der: block.der, source: at))
            default:
                throw BundleIndexError(.invalidKey, "\(at): '\(block.label)' does not belong in a trust bundle (only PUBLIC KEY and CERTIFICATE)")
            }
        }
        guard !keys.isEmpty || !roots.isEmpty else {
            throw BundleIndexError(.invalidKey, "\(source): no PUBLIC KEY or CERTIFICATE block")
        }
        self.init(keys: keys, roots: roots)
    }

    /// Loads a trust bundle file.
    public static func load(path: String) throws -> TrustBundle {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw BundleIndexError(.io, "\(path): cannot read trust bundle (\(FileErrors.reason(error)))", cause: error)
        }
        return try TrustBundle(pem: String(decoding: data, as: UTF8.self), source: path)
    }
}
