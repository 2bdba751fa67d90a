import BundleIndex
import Foundation
import TestSupport
import Testing

/// The DSSE project's published protocol test vectors (secure-systems-lab/dsse,
/// testvectors/vectors.json): PAE bytes, both base64 alphabets, payload-type binding, thresholds.
@Suite struct DSSEVectorTests {
    struct Vector: Sendable, CustomStringConvertible {
        var id: String
        var payloadType: String
        var payload: String
        var signatures: [(keyid: String?, sig: String)]
        var trusted: [String]
        var threshold: Int
        var supported: [String]
        var pae: String
        var accept: Bool
        var description: String { id }
    }

    static let publicKeys = [
        "A": "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "B": "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
    ]
    static let statementPayload = "eyJfdHlwZSI6Imh0dHBzOi8vaW4tdG90by5pby9TdGF0ZW1lbnQvdjEifQ=="
    static let statementPAE = "445353457631203238206170706c69636174696f6e2f766e642e696e2d746f746f2b6a736f6e203433207b225f74797065223a2268747470733a2f2f696e2d746f746f2e696f2f53746174656d656e742f7631227d"
    static let sigA = "2WAfaHm5jluo0w+0rk8uVkluELJYWjSmU9x7EUzx+AyteDGJ4/nqyJXfmAUVFIAoQafWm7AxBZNw5M9ixNHiCA=="
    static let sigB = "c1+67/aT0yqEpwx8PsVY3MLHsj9D0CZ014/Fv/QlG59P+9CobUZ7xECJ/V3USG0Ob9CiE5LjReEZUzNF2l7eBw=="
    static let intoto = "application/vnd.in-toto+json"

    static let vectors: [Vector] = [
        Vector(id: "single-signature", payloadType: intoto, payload: statementPayload, signatures: [("A", sigA)], trusted: ["A"], threshold: 1, supported: [intoto], pae: statementPAE, accept: true),
        Vector(id: "url-safe-base64", payloadType: intoto, payload: "-_-_Pj8=",
               signatures: [("A", "P-_KHICeR7tI6S_YyejJTRtrXhcQyQ2LYPaL8h90KjC9qN8HU_svOQ6TuDOT1HIrsGW886DbWNWcCmX5twLrAw==")],
               trusted: ["A"], threshold: 1, supported: [intoto],
               pae: "445353457631203238206170706c69636174696f6e2f766e642e696e2d746f746f2b6a736f6e203520fbffbf3e3f", accept: true),
        Vector(id: "payload-type-swapped", payloadType: "application/vnd.example.other+json", payload: statementPayload, signatures: [("A", sigA)],
               trusted: ["A"], threshold: 1, supported: [intoto, "application/vnd.example.other+json"], pae: statementPAE, accept: false),
        Vector(id: "non-ascii-payload-type", payloadType: "application/vnd.exämple+json", payload: statementPayload,
               signatures: [("A", "xmSk/ug66ysT7ayhkCIjhAq42zgZXSsEWuzUaNL7w2eGAdF/NU6/fRXPtmfN+5DNSAs5/i2lUnHjbbjPsu0tAw==")],
               trusted: ["A"], threshold: 1, supported: ["application/vnd.exämple+json"],
               pae: "445353457631203239206170706c69636174696f6e2f766e642e6578c3a46d706c652b6a736f6e203433207b225f74797065223a2268747470733a2f2f696e2d746f746f2e696f2f53746174656d656e742f7631227d", accept: true),
        Vector(id: "empty-payload", payloadType: intoto, payload: "",
               signatures: [("A", "gSggCAaTLTYyRH6FIDBem6meyIynsYy8RTHVzwx9tnTb7Bg/1jMWnuVgI/gffqmbsC2VX5/jHfkkDqsj7CDbDg==")],
               trusted: ["A"], threshold: 1, supported: [intoto],
               pae: "445353457631203238206170706c69636174696f6e2f766e642e696e2d746f746f2b6a736f6e203020", accept: true),
        Vector(id: "empty-payload-type", payloadType: "", payload: statementPayload,
               signatures: [("A", "iC3q/+3Rm0+lpAJRueDmDh15PnwCfxKmS0NAfKsbv+zgulXQC/WM9trc+j1XEqlwDIg/vf/uNfebeD6sxInrDg==")],
               trusted: ["A"], threshold: 1, supported: [intoto],
               pae: "445353457631203020203433207b225f74797065223a2268747470733a2f2f696e2d746f746f2e696f2f53746174656d656e742f7631227d", accept: false),
        Vector(id: "threshold-two-distinct-keys", payloadType: intoto, payload: statementPayload, signatures: [("A", sigA), ("B", sigB)],
               trusted: ["A", "B"], threshold: 2, supported: [intoto], pae: statementPAE, accept: true),
        Vector(id: "threshold-two-one-key-twice", payloadType: intoto, payload: statementPayload, signatures: [("A", sigA), ("A", sigA)],
               trusted: ["A", "B"], threshold: 2, supported: [intoto], pae: statementPAE, accept: false),
        Vector(id: "threshold-two-without-keyids", payloadType: intoto, payload: statementPayload, signatures: [(nil, sigA), (nil, sigB)],
               trusted: ["A", "B"], threshold: 2, supported: [intoto], pae: statementPAE, accept: true),
    ]

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    static func ed25519(_ hexKey: String) throws -> LibCrypto.Key {
        var der: [UInt8] = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]
        var index = hexKey.startIndex
        while index < hexKey.endIndex {
            let next = hexKey.index(index, offsetBy: 2)
            der.append(UInt8(hexKey[index..<next], radix: 16)!)
            index = next
        }
        return try LibCrypto.Key.publicKey(spki: der, source: "vector key")
    }

    @Test func paeOfTheSpecExample() {
        #expect(DSSEEnvelope.pae(payloadType: "http://example.com/HelloWorld", payload: Array("hello world".utf8))
            == Array("DSSEv1 29 http://example.com/HelloWorld 11 hello world".utf8))
    }

    @Test(arguments: vectors)
    func vector(_ vector: Vector) throws {
        let payload = try #require(DSSEEnvelope.decodeBase64(vector.payload))
        // The vectors' PAE is over the type each signature was made for; where the envelope lies
        // about its type (payload-type-swapped), our PAE must differ from it.
        let pae = Self.hex(DSSEEnvelope.pae(payloadType: vector.payloadType, payload: payload))
        if vector.id == "payload-type-swapped" {
            #expect(pae != vector.pae)
        } else {
            #expect(pae == vector.pae)
        }
        let trust = TrustBundle(keys: try vector.trusted.map { try Self.ed25519(Self.publicKeys[$0]!) }, roots: [])
        let envelope = DSSEEnvelope(payloadType: vector.payloadType, payload: vector.payload,
                                    signatures: vector.signatures.map { .init(keyid: $0.keyid, sig: $0.sig) })
        let signers = SignatureVerifier(trust: trust).validSigners(envelope, payload: payload, at: Date())
        let accepted = vector.supported.contains(vector.payloadType) && signers.count >= vector.threshold
        #expect(accepted == vector.accept)
    }

    @Test func envelopeWithoutKeyIDDecodes() throws {
        let json = #"{"payloadType":"x","payload":"","signatures":[{"sig":"AA=="}]}"#
        let envelope = try DSSEEnvelope.parse(Data(json.utf8), source: "e")
        #expect(envelope.signatures.first?.keyid == nil)
    }
}
