import COpenSSL
import Foundation

/// The one file that calls OpenSSL's libcrypto: SHA-256, keys, signatures and X.509 chains.
///
/// Everything above this file works with the Swift types declared here, so OpenSSL's memory
/// rules (ownership of `EVP_PKEY`, `X509`, stacks and the error queue) stay in one place.
public enum LibCrypto {
    /// The signature algorithms a bundle may be signed with; always taken from the key, never from
    /// the envelope, so a signature cannot choose how it is checked.
    public enum Algorithm: String, Sendable, Equatable {
        case ed25519 = "ed25519"
        case ecdsaP256SHA256 = "ecdsa-p256-sha256"
        case rsaPSSSHA256 = "rsa-pss-sha256"
    }

    /// Streaming SHA-256; feed chunks with `update`, then read `finish()` once.
    public final class SHA256 {
        private let context: OpaquePointer

        public init() {
            guard let context = EVP_MD_CTX_new(), EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1 else {
                fatalError("OpenSSL could not initialise SHA-256")
            }
            self.context = context
        }

        deinit { EVP_MD_CTX_free(context) }

        public func update(_ bytes: UnsafeRawBufferPointer) {
            guard let base = bytes.baseAddress, bytes.count > 0 else { return }
            EVP_DigestUpdate(context, base, bytes.count)
        }

        public func update(_ bytes: some ContiguousBytes) { bytes.withUnsafeBytes { update($0) } }

        /// The 32-byte digest.
        public func finish() -> [UInt8] {
            var digest = [UInt8](repeating: 0, count: 32)
            var length: UInt32 = 0
            EVP_DigestFinal_ex(context, &digest, &length)
            return digest
        }

        /// One-shot digest of `bytes`.
        public static func digest(_ bytes: some ContiguousBytes) -> [UInt8] {
            let hasher = SHA256()
            hasher.update(bytes)
            return hasher.finish()
        }
    }

    /// A public or private key of a supported algorithm (immutable once loaded).
    public final class Key: @unchecked Sendable {
        let pkey: OpaquePointer
        /// The algorithm this key signs and verifies with.
        public let algorithm: Algorithm
        /// Whether the key holds private material (can sign).
        public let isPrivate: Bool

        private init(pkey: OpaquePointer, isPrivate: Bool, source: String) throws {
            self.pkey = pkey
            self.isPrivate = isPrivate
            switch EVP_PKEY_get_base_id(pkey) {
            case EVP_PKEY_ED25519:
                algorithm = .ed25519
            case EVP_PKEY_EC:
                var name = [CChar](repeating: 0, count: 64)
                var length = 0
                EVP_PKEY_get_group_name(pkey, &name, name.count, &length)
                let group = String(decoding: name.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
                guard group == "prime256v1" || group == "P-256" else {
                    EVP_PKEY_free(pkey)
                    throw BundleIndexError(.invalidKey, "\(source): EC key on curve '\(group)'; only P-256 is supported")
                }
                algorithm = .ecdsaP256SHA256
            case EVP_PKEY_RSA, EVP_PKEY_RSA_PSS:
                guard EVP_PKEY_get_bits(pkey) >= 2048 else {
                    EVP_PKEY_free(pkey)
                    throw BundleIndexError(.invalidKey, "\(source): RSA key shorter than 2048 bits")
                }
                algorithm = .rsaPSSSHA256
            default:
                EVP_PKEY_free(pkey)
                throw BundleIndexError(.invalidKey, "\(source): unsupported key type (use Ed25519, ECDSA P-256 or RSA)")
            }
        }

        deinit { EVP_PKEY_free(pkey) }

        /// Loads a private key from PEM (PKCS#8, SEC1 or PKCS#1; unencrypted).
        public static func privateKey(pem: Data, source: String) throws -> Key {
            let loaded: OpaquePointer? = withMemoryBIO(pem) { bio in
                PEM_read_bio_PrivateKey(bio, nil, { _, _, _, _ in 0 }, nil)
            }
            guard let pkey = loaded else {
                throw BundleIndexError(.invalidKey, "\(source): not an unencrypted PEM private key (\(LibCrypto.drainErrors()))")
            }
            return try Key(pkey: pkey, isPrivate: true, source: source)
        }

        /// Loads a public key from SubjectPublicKeyInfo DER (the body of a `PUBLIC KEY` PEM block).
        public static func publicKey(spki der: [UInt8], source: String) throws -> Key {
            let loaded: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
                var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
                return d2i_PUBKEY(nil, &cursor, buffer.count)
            }
            guard let pkey = loaded else {
                throw BundleIndexError(.invalidKey, "\(source): not a valid public key (\(LibCrypto.drainErrors()))")
            }
            return try Key(pkey: pkey, isPrivate: false, source: source)
        }

        fileprivate static func adopting(_ pkey: OpaquePointer, source: String) throws -> Key {
            try Key(pkey: pkey, isPrivate: false, source: source)
        }

        /// The DER SubjectPublicKeyInfo of the (public half of the) key.
        public var subjectPublicKeyInfo: [UInt8] {
            var out: UnsafeMutablePointer<UInt8>? = nil
            let length = i2d_PUBKEY(pkey, &out)
            guard length > 0, let out else { return [] }
            defer { CRYPTO_free(out, #fileID, #line) }
            return Array(UnsafeBufferPointer(start: out, count: Int(length)))
        }

        /// The key id: lowercase hex SHA-256 of the SubjectPublicKeyInfo DER.
        public var keyID: String { ContentHash(digest: SHA256.digest(subjectPublicKeyInfo)).hex }

        /// The public half as a `PUBLIC KEY` PEM block.
        public var publicKeyPEM: String {
            let body = Data(subjectPublicKeyInfo).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
            return "-----BEGIN PUBLIC KEY-----\n\(body)\n-----END PUBLIC KEY-----\n"
        }

        /// Signs `message` (Ed25519 pure; ECDSA and RSA-PSS over SHA-256, PSS salt = digest length).
        public func sign(_ message: [UInt8]) throws -> [UInt8] {
            guard isPrivate else { throw BundleIndexError(.invalidKey, "cannot sign with a public key") }
            guard let context = EVP_MD_CTX_new() else { throw BundleIndexError(.crypto, "out of memory") }
            defer { EVP_MD_CTX_free(context) }
            var pctx: OpaquePointer? = nil
            guard EVP_DigestSignInit(context, &pctx, algorithm == .ed25519 ? nil : EVP_sha256(), nil, pkey) == 1,
                algorithm != .rsaPSSSHA256 || uiserve_EVP_PKEY_CTX_set_rsa_pss(pctx) == 1
            else { throw BundleIndexError(.crypto, "signing failed: \(LibCrypto.drainErrors())") }
            var length = 0
            guard EVP_DigestSign(context, nil, &length, message, message.count) == 1 else {
                throw BundleIndexError(.crypto, "signing failed: \(LibCrypto.drainErrors())")
            }
            var signature = [UInt8](repeating: 0, count: length)
            guard EVP_DigestSign(context, &signature, &length, message, message.count) == 1 else {
                throw BundleIndexError(.crypto, "signing failed: \(LibCrypto.drainErrors())")
            }
            return Array(signature.prefix(length))
        }

        /// Whether `signature` over `message` was made by this key with its algorithm.
        public func verify(signature: [UInt8], message: [UInt8]) -> Bool {
            guard let context = EVP_MD_CTX_new() else { return false }
            defer {
                EVP_MD_CTX_free(context)
                ERR_clear_error()
            }
            var pctx: OpaquePointer? = nil
            guard EVP_DigestVerifyInit(context, &pctx, algorithm == .ed25519 ? nil : EVP_sha256(), nil, pkey) == 1,
                algorithm != .rsaPSSSHA256 || uiserve_EVP_PKEY_CTX_set_rsa_pss(pctx) == 1
            else { return false }
            return EVP_DigestVerify(context, signature, signature.count, message, message.count) == 1
        }
    }

    /// An X.509 certificate (immutable once loaded).
    public final class Certificate: @unchecked Sendable {
        let x509: OpaquePointer
        /// The certificate's DER encoding.
        public let der: [UInt8]

        /// Parses one DER certificate.
        public init(der: [UInt8], source: String) throws {
            let loaded: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
                var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
                return d2i_X509(nil, &cursor, buffer.count)
            }
            guard let x509 = loaded else {
                throw BundleIndexError(.invalidKey, "\(source): not a valid X.509 certificate (\(LibCrypto.drainErrors()))")
            }
            self.x509 = x509
            self.der = der
        }

        deinit { X509_free(x509) }

        /// The subject as a one-line distinguished name.
        public var subject: String {
            guard let name = X509_get_subject_name(x509), let line = X509_NAME_oneline(name, nil, 0) else { return "?" }
            defer { CRYPTO_free(line, #fileID, #line) }
            return String(cString: line)
        }

        /// The certified public key.
        public func publicKey() throws -> Key {
            guard let pkey = X509_get_pubkey(x509) else {
                throw BundleIndexError(.invalidKey, "certificate \(subject): unreadable public key")
            }
            return try Key.adopting(pkey, source: "certificate \(subject)")
        }

        /// Whether the certificate carries an extended key usage extension that includes codeSigning.
        public var allowsCodeSigning: Bool {
            let flags = X509_get_extension_flags(x509)
            return flags & UInt32(EXFLAG_XKUSAGE) != 0 && X509_get_extended_key_usage(x509) & UInt32(XKU_CODE_SIGN) != 0
        }

        /// Checks that `self` chains through `intermediates` to one of `roots` at `time`; `nil` when
        /// it does, else OpenSSL's reason (for example "certificate has expired").
        public func chainProblem(intermediates: [Certificate], roots: [Certificate], at time: Date) -> String? {
            guard let store = X509_STORE_new() else { return "out of memory" }
            defer { X509_STORE_free(store) }
            for root in roots { X509_STORE_add_cert(store, root.x509) }
            guard let stack = OPENSSL_sk_new_null() else { return "out of memory" }
            defer { OPENSSL_sk_free(stack) }
            for certificate in intermediates { OPENSSL_sk_push(stack, UnsafeRawPointer(certificate.x509)) }
            guard let context = X509_STORE_CTX_new() else { return "out of memory" }
            defer {
                X509_STORE_CTX_free(context)
                ERR_clear_error()
            }
            guard X509_STORE_CTX_init(context, store, x509, stack) == 1 else { return "chain setup failed" }
            X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(context), time_t(time.timeIntervalSince1970.rounded(.down)))
            if X509_verify_cert(context) == 1 { return nil }
            let code = X509_STORE_CTX_get_error(context)
            return String(cString: X509_verify_cert_error_string(Int(code)))
        }
    }

    /// Empties OpenSSL's per-thread error queue and returns its first message.
    static func drainErrors() -> String {
        let code = ERR_get_error()
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        ERR_clear_error()
        return code == 0 ? "unknown error" : String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static func withMemoryBIO<T>(_ data: Data, _ body: (OpaquePointer) -> T?) -> T? {
        data.withUnsafeBytes { raw -> T? in
            guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else { return nil }
            defer { BIO_free(bio) }
            return body(bio)
        }
    }
}
