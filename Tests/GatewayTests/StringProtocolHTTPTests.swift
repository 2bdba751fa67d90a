import Gateway
import Testing

@Suite struct StringProtocolHTTPTests {
    @Test(arguments: [("/", false), ("", false), ("/a/b", false), ("//", true), ("/a//b", true), ("/a/", false), ("/a/b//", true),
                      ("a/%2F/b", false), ("/é//ü", true), ("/é/ü", false)] as [(String, Bool)])
    func emptySegments(_ path: String, _ expected: Bool) {
        #expect(path.hasEmptySegment == expected)
        #expect(path.hasEmptySegment == path.contains("//"))
    }
}
