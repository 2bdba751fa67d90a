import BundleIndex
import Testing

@testable import UIServe

@Suite struct UIRoutePathTests {
    static let hex = "b9ed6932db6b288f9f873db7df50c2ee26524c54cdefb8a4c8ea480a1fcf7e11"
    static let hash = ContentHash(parsing: hex)!

    static let cases: [(String, UIRoutePath)] = [
        ("/ext-ui/acme.hello/sha256:\(hex)/", .asset(extensionID: "acme.hello", hash: hash, path: "", isDirectory: true, lastRawSegment: "sha256:\(hex)")),
        ("/ext-ui/acme.hello/sha256:\(hex)/app.js", .asset(extensionID: "acme.hello", hash: hash, path: "app.js", isDirectory: false, lastRawSegment: "app.js")),
        ("/ext-ui/acme.hello/sha256%3A\(hex)/a/b/", .asset(extensionID: "acme.hello", hash: hash, path: "a/b", isDirectory: true, lastRawSegment: "b")),
        ("/ext-ui/acme.hello/\(hex)/caf%C3%A9.js", .asset(extensionID: "acme.hello", hash: hash, path: "café.js", isDirectory: false, lastRawSegment: "caf%C3%A9.js")),
        // Decoded once: %25 stays a literal percent sign, and does not turn into a second escape.
        ("/ext-ui/acme.hello/\(hex)/100%252e.js", .asset(extensionID: "acme.hello", hash: hash, path: "100%2e.js", isDirectory: false, lastRawSegment: "100%252e.js")),
        // The redirect is relative with ./ so "sha256:" is never read as a URL scheme, and never //host.
        ("/ext-ui/acme.hello/sha256:\(hex)", .redirect(location: "./sha256:\(hex)/")),
        ("/ext-ui/acme.hello/\(hex)", .redirect(location: "./\(hex)/")),
        ("/ext-ui/acme.hello/sha256:\(hex)/%2e%2e/secret", .invalid(reason: "'..' path segment")),
        ("/ext-ui/acme.hello/sha256:\(hex)/a%2Fb", .invalid(reason: "encoded slash in path")),
        ("/ext-ui/acme.hello/sha256:\(hex)/a%5cb", .invalid(reason: "encoded slash in path")),
        ("/ext-ui/acme.hello/sha256:\(hex)/a%00.html", .invalid(reason: "NUL or control character in path")),
        ("/ext-ui/acme.hello/sha256:\(hex)/a.html%00.js", .invalid(reason: "NUL or control character in path")),
        ("/ext-ui/acme.hello/sha256:\(hex)/%ff", .invalid(reason: "path is not valid UTF-8")),
        ("/ext-ui/acme.hello/sha256:\(hex)/a%2", .invalid(reason: "invalid percent-encoding in path")),
        ("/ext-ui/acme.hello/sha256:\(hex)//x", .invalid(reason: "absolute path")),
        ("/ext-ui/acme.hello/sha256:\(hex)/a//x", .invalid(reason: "empty path segment")),
        ("/ext-ui/acme.hello/sha256:\(hex)/a\\b", .invalid(reason: "backslash in path")),
        ("/ext-ui/acme.hello/md5:\(hex)/", .invalid(reason: "invalid content hash")),
        ("/ext-ui/acme%2Fhello/\(hex)/", .invalid(reason: "invalid extension id")),
        ("/ext-ui/../\(hex)/", .invalid(reason: "invalid extension id")),
        ("/ext-ui/acme.hello", .notFound),
        ("/ext-ui//\(hex)/", .notFound),
        ("/other", .notFound),
    ]

    @Test(arguments: cases)
    func parse(_ path: String, _ expected: UIRoutePath) {
        #expect(UIRoutePath.parse(rawPath: path) == expected)
    }

    @Test func redirectKeepsTheQuery() {
        #expect(UIRoutePath.parse(rawPath: "/ext-ui/x/\(Self.hex)", rawQuery: "a=1") == .redirect(location: "./\(Self.hex)/?a=1"))
    }
}
