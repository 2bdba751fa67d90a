import BundleIndex
import TestSupport
import Testing

@Suite struct ContentHashTests {
    static let hex = "b9ed6932db6b288f9f873db7df50c2ee26524c54cdefb8a4c8ea480a1fcf7e11"

    @Test(arguments: [
        "sha256:" + hex,
        "sha256%3A" + hex,
        "sha256%3a" + hex,
        hex,
        "SHA256:" + hex,
        "sha256:" + hex.uppercased(),
        hex.uppercased(),
    ])
    func acceptsEveryForm(_ text: String) throws {
        let hash = try #require(ContentHash(parsing: text))
        #expect(hash.hex == Self.hex)
        #expect(hash.description == "sha256:" + Self.hex)
    }

    @Test(arguments: [
        "",
        "sha256:",
        String(hex.dropLast()),
        hex + "0",
        "sha256:" + String(hex.dropLast()) + "g",
        "sha512:" + hex,
        "md5:" + hex,
        "sha256::" + hex,
        "sha256%3A" + String(hex.dropLast()),
        "sha256%2F" + hex,
        " " + hex,
        hex + " ",
        "sha256:" + hex + "\0",
        String(repeating: "é", count: 32),
        "sha256\u{1a}" + hex,
        "sha256%3a:" + hex,
        "SHA256%3:" + hex,
        ":" + hex,
    ])
    func refusesEverythingElse(_ text: String) {
        #expect(ContentHash(parsing: text) == nil)
        #expect(throws: BundleIndexError.self) { try ContentHash.parse(text) }
    }

    @Test func digestRoundTrip() {
        let hash = ContentHash(digest: LibCrypto.SHA256.digest(Array("abc".utf8)))
        #expect(hash.hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}
