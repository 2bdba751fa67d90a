import BundleIndex
import Foundation
import Testing

@Suite struct UUIDRandomTests {
    /// RFC 9562 §5.4: the version nibble is 4 and the variant bits are 10; the rest is random.
    @Test func versionFourVariantTenAndDistinct() {
        var seen = Set<UUID>()
        for _ in 0..<2000 {
            let id = UUID.random()
            let text = id.uuidString.lowercased()
            let characters = Array(text)
            #expect(characters.count == 36)
            #expect(characters[14] == "4", "version nibble of \(text)")
            #expect("89ab".contains(characters[19]), "variant of \(text)")
            #expect(UUID(uuidString: text) == id)
            seen.insert(id)
        }
        #expect(seen.count == 2000)
        // Every other bit varies: OR of all ids covers the random positions, AND clears them.
        let bytes = seen.map { id in withUnsafeBytes(of: id.uuid) { Array($0) } }
        let any = bytes.reduce([UInt8](repeating: 0, count: 16)) { zip($0, $1).map { $0 | $1 } }
        let all = bytes.reduce([UInt8](repeating: 0xFF, count: 16)) { zip($0, $1).map { $0 & $1 } }
        #expect(any == [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x4F, 0xFF, 0xBF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
        #expect(all == [0, 0, 0, 0, 0, 0, 0x40, 0, 0x80, 0, 0, 0, 0, 0, 0, 0])
    }
}
