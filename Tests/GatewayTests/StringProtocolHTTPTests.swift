import Gateway
import Testing

@Suite struct StringProtocolHTTPTests {
    @Test(arguments: [("/", false), ("", false), ("/a/b", false), ("//", true), ("/a//b", true), ("/a/", false), ("/a/b//", true),
                      ("a/%2F/b", false), ("/é//ü", true), ("/é/ü", false)] as [(String, Bool)])
    func emptySegments(_ path: String, _ expected: Bool) {
        #expect(path.hasEmptySegment == expected)
        #expect(path.hasEmptySegment == path.contains("//"))
    }

    @Test(arguments: [("t1", true), ("", true), ("!~azAZ09-_.:/?#[]@", true), ("a b", false), ("a\tb", false), ("a\r\nb", false),
                      ("nul\u{0}", false), ("del\u{7F}", false), ("é", false), ("日本", false)] as [(String, Bool)])
    func visibleASCII(_ text: String, _ expected: Bool) {
        #expect(text.isVisibleASCII == expected)
        #expect(text[...].isVisibleASCII == expected)
    }
}
