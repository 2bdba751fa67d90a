import BundleIndex
import Gateway
import Testing

@Suite struct EndpointMatcherTests {
    static let matcher = EndpointMatcher(endpoints: [
        .init(method: "GET", path: "/items", handler: "list"),
        .init(method: "POST", path: "/items", handler: "create"),
        .init(method: "GET", path: "/items/:id", handler: "get"),
        .init(method: "DELETE", path: "/items/:id", handler: "delete"),
        .init(method: "GET", path: "/items/:id/notes/:note", handler: "note"),
        .init(method: "PUT", path: "/settings", handler: "settings"),
        .init(method: "GET", path: "/", handler: "root"),
    ])

    static let cases: [(String, String, EndpointMatcher.Match)] = [
        ("GET", "/items", .matched(endpoint: .init(method: "GET", path: "/items", handler: "list"), params: [:])),
        ("HEAD", "/items", .matched(endpoint: .init(method: "GET", path: "/items", handler: "list"), params: [:])),
        ("post", "/items", .matched(endpoint: .init(method: "POST", path: "/items", handler: "create"), params: [:])),
        ("GET", "/items/42", .matched(endpoint: .init(method: "GET", path: "/items/:id", handler: "get"), params: ["id": "42"])),
        ("GET", "/items/a/notes/b", .matched(endpoint: .init(method: "GET", path: "/items/:id/notes/:note", handler: "note"), params: ["id": "a", "note": "b"])),
        ("GET", "/", .matched(endpoint: .init(method: "GET", path: "/", handler: "root"), params: [:])),
        ("GET", "/items/", .notFound),
        ("GET", "/items//notes/b", .notFound),
        ("GET", "/items/42/extra", .notFound),
        ("GET", "/Items", .notFound),
        ("GET", "/nothing", .notFound),
        ("PATCH", "/items/42", .methodNotAllowed(allowed: ["DELETE", "GET", "HEAD"])),
        ("GET", "/settings", .methodNotAllowed(allowed: ["PUT"])),
        ("DELETE", "/items", .methodNotAllowed(allowed: ["GET", "HEAD", "POST"])),
    ]

    @Test(arguments: cases)
    func match(_ method: String, _ path: String, _ expected: EndpointMatcher.Match) {
        #expect(Self.matcher.match(method: method, path: path) == expected)
    }
}
