import BundleIndex
import TestSupport
import Testing

@Suite struct EntryPathPolicyTests {
    typealias V = EntryPathPolicy.Violation

    @Test(arguments: [
        ("ui/index.html", "ui/index.html"),
        ("ui/", "ui"),
        ("ui/assets/app.3f2a.js", "ui/assets/app.3f2a.js"),
        ("ui/.well-known/x", "ui/.well-known/x"),
        ("ui/..hidden", "ui/..hidden"),
        ("ui/café.js", "ui/café.js"),
        ("manifest.json", "manifest.json"),
    ])
    func allows(_ path: String, _ normalized: String) {
        #expect(EntryPathPolicy().check(path) == .allowed(path: normalized))
    }

    static let refusals: [([UInt8], V)] = [
        (Array("".utf8), V.empty),
        (Array("/etc/passwd".utf8), V.absolute),
        (Array("ui/../../etc/passwd".utf8), V.dotDotSegment),
        (Array("..".utf8), V.dotDotSegment),
        (Array("ui/./a.js".utf8), V.dotSegment),
        (Array("./ui/a.js".utf8), V.dotSegment),
        (Array("ui//a.js".utf8), V.emptySegment),
        (Array("ui\\..\\a.js".utf8), V.backslash),
        (Array("ui/a\u{0}.js".utf8), V.controlCharacter),
        (Array("ui/a.html\u{0}.js".utf8), V.controlCharacter),
        (Array("ui/a\n.js".utf8), V.controlCharacter),
        (Array("ui/a\u{7f}.js".utf8), V.controlCharacter),
        ([0x75, 0x69, 0x2f, 0xff, 0x2e, 0x6a, 0x73], V.invalidUTF8),
        ([0x75, 0x69, 0x2f, 0xc0, 0xaf], V.invalidUTF8),
        (Array(("ui/" + String(repeating: "a", count: 1100)).utf8), V.tooLong),
        (Array(("ui/" + String(repeating: "d/", count: 40) + "x").utf8), V.tooDeep),
    ]

    @Test(arguments: refusals)
    func refuses(_ bytes: [UInt8], _ violation: V) {
        #expect(EntryPathPolicy().check(bytes) == .refused(violation))
    }

    @Test func limitsAreConfigurable() {
        #expect(EntryPathPolicy(maxBytes: 8).check("ui/abcdef") == .refused(.tooLong))
        #expect(EntryPathPolicy(maxDepth: 2).check("ui/a/b") == .refused(.tooDeep))
        #expect(EntryPathPolicy(maxDepth: 2).check("ui/a") == .allowed(path: "ui/a"))
    }
}
