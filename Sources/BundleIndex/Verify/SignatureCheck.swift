/// The outcome of checking a bundle's envelope: an expected result, not an error.
public enum SignatureCheck: Sendable, Equatable {
    /// A trusted key signed the statement for this bundle; `keyID` is the signer's actual key id.
    case valid(Signer)
    /// Not acceptable; `reason` is one line fit for logs and for `uiserve bundle verify`.
    case invalid(reason: String)

    /// Who made an accepted signature.
    public struct Signer: Sendable, Equatable {
        public var keyID: String
        public var algorithm: LibCrypto.Algorithm
        /// The leaf certificate's subject when the key was certified by a trusted root.
        public var certificateSubject: String?

        public init(keyID: String, algorithm: LibCrypto.Algorithm, certificateSubject: String? = nil) {
            self.keyID = keyID
            self.algorithm = algorithm
            self.certificateSubject = certificateSubject
        }
    }

    public var isValid: Bool {
        if case .valid = self { return true }
        return false
    }
}
