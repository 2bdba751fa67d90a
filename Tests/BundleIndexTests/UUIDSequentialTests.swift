import BundleIndex
import Foundation
import Testing

@Suite struct UUIDSequentialTests {
    /// RFC 9562 §5.4's shape: the version nibble is 4 and the variant bits are 10; every id of the
    /// process is distinct, and ids made one after another sort in order of making.
    @Test func versionFourVariantTenDistinctAndAscending() {
        let ids = (0..<5000).map { _ in UUID.sequential() }
        for id in ids {
            let characters = Array(id.uuidString.lowercased())
            #expect(characters.count == 36)
            #expect(characters[14] == "4", "version nibble of \(id)")
            #expect("89ab".contains(characters[19]), "variant of \(id)")
        }
        #expect(Set(ids).count == ids.count)
        let texts = ids.map { $0.uuidString.lowercased() }
        #expect(zip(texts, texts.dropFirst()).filter { $0 >= $1 }.count <= 1, "at most one wrap of the counter's low bits")
    }
}
