import Foundation

/// A DSSE envelope (secure-systems-lab/dsse v1): the detached signature of a bundle.
///
/// `payload` is the base64 of the signed bytes (an in-toto Statement); each signature is over the
/// PAE encoding of `payloadType` and those bytes. `certificateChain` is uiserve's one extension:
/// the signer's chain, leaf first, DER in base64, for trust bundles that hold roots.
public struct DSSEEnvelope: Codable, Sendable, Equatable {
    /// One signature over the envelope's PAE.
    public struct Signature: Codable, Sendable, Equatable {
        /// Hex SHA-256 of the signer's SubjectPublicKeyInfo; optional in DSSE, a hint only, never trusted.
        public var keyid: String?
        /// Base64 signature bytes.
        public var sig: String
        /// Optional X.509 chain, leaf first, each certificate base64 DER.
        public var certificateChain: [String]?

        public init(keyid: String?, sig: String, certificateChain: [String]? = nil) {
            self.keyid = keyid
            self.sig = sig
            self.certificateChain = certificateChain
        }
    }

    /// The payload type uiserve signs and accepts.
    public static let inTotoPayloadType = "application/vnd.in-toto+json"

    public var payloadType: String
    public var payload: String
    public var signatures: [Signature]

    public init(payloadType: String, payload: String, signatures: [Signature]) {
        self.payloadType = payloadType
        self.payload = payload
        self.signatures = signatures
    }

    /// DSSE's Pre-Authentication Encoding: `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`,
    /// lengths as ASCII decimal byte counts. This is what signatures cover.
    public static func pae(payloadType: String, payload: [UInt8]) -> [UInt8] {
        let type = Array(payloadType.utf8)
        var out = Array("DSSEv1 \(type.count) ".utf8)
        out += type
        out += Array(" \(payload.count) ".utf8)
        out += payload
        return out
    }

    /// The decoded payload bytes; throws when `payload` is not base64 (standard or URL-safe).
    public func payloadBytes() throws -> [UInt8] {
        guard let bytes = Self.decodeBase64(payload) else {
            throw BundleIndexError(.invalidEnvelope, "envelope payload is not base64")
        }
        return bytes
    }

    /// Decodes standard or URL-safe base64, with or without padding (DSSE allows both).
    public static func decodeBase64(_ text: String) -> [UInt8]? {
        var normalized = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while normalized.utf8.count % 4 != 0 { normalized += "=" }
        return Data(base64Encoded: normalized).map(Array.init)
    }

    /// Parses an envelope from JSON; `source` names the file in errors.
    public static func parse(_ data: Data, source: String) throws -> DSSEEnvelope {
        do {
            return try JSONDecoder().decode(DSSEEnvelope.self, from: data)
        } catch {
            throw BundleIndexError(.invalidEnvelope, "\(source): not a DSSE envelope (\(error.localizedDescription))", cause: error)
        }
    }

    /// Stable JSON: sorted keys, no escaped slashes, trailing newline.
    public func encoded() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
        // Encoding plain strings and arrays cannot fail.
        var data = (try? encoder.encode(self)) ?? Data()
        data.append(0x0a)
        return data
    }
}
