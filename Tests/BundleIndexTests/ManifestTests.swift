import BundleIndex
import Foundation
import TestSupport
import Testing

@Suite struct ManifestTests {
    static var valid: [String: Any] { [
        "name": "hello", "publisher": "acme", "version": "1.0.0", "runtime": "wasm-js@1",
        "capabilities": ["http.fetch"], "ui": ["type": "iframe", "entry": "index.html"],
        "api": ["endpoints": [["method": "GET", "path": "/items/:id", "handler": "h"]]],
    ] }

    static func parse(_ object: [String: Any]) throws -> ExtensionManifest {
        try ExtensionManifest.parse(try JSONSerialization.data(withJSONObject: object), source: "m.json")
    }

    static func problem(_ change: (inout [String: Any]) -> Void) -> String? {
        var object = valid
        change(&object)
        do {
            _ = try parse(object)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func parsesTheDemoManifest() throws {
        let manifest = try ExtensionManifest.parse(Fixtures.data("demo/src/manifest.json"))
        #expect(manifest.qualifiedName == "acme.hello")
        #expect(manifest.uiEntry == "index.html")
        #expect(manifest.api?.endpoints.count == 3)
    }

    @Test func defaults() throws {
        var object = Self.valid
        object["capabilities"] = nil
        object["ui"] = nil
        let manifest = try Self.parse(object)
        #expect(manifest.capabilities == [])
        #expect(manifest.uiEntry == "index.html")
    }

    @Test func unknownTopLevelKeyIsNamed() {
        #expect(Self.problem { $0["permissions"] = [] } == "m.json: unknown top-level key 'permissions'")
    }

    @Test func notJSON() {
        #expect(throws: BundleIndexError.self) { try ExtensionManifest.parse(Data("{".utf8)) }
        #expect(throws: BundleIndexError.self) { try ExtensionManifest.parse(Data("[]".utf8)) }
    }

    @Test func missingAndMistypedKeysAreNamed() {
        #expect(Self.problem { $0["name"] = nil }?.contains("missing key 'name'") == true)
        #expect(Self.problem { $0["version"] = 1 }?.contains("'version'") == true)
        #expect(Self.problem { $0["api"] = ["endpoints": [["method": "GET", "path": "/x"]]] }?.contains("handler") == true)
    }

    @Test(arguments: ["1", "1.0", "01.0.0", "1.0.0-", "1.0.0-01", "v1.0.0", "1.0.0+", "1..0", " 1.0.0"])
    func badVersions(_ version: String) {
        #expect(Self.problem { $0["version"] = version }?.contains("'version'") == true)
        #expect(SemanticVersion(version) == nil)
    }

    @Test(arguments: ["0.0.0", "1.2.3", "10.20.30", "1.0.0-alpha.1", "1.0.0-0.3.7", "1.0.0+build.5", "1.0.0-rc.1+sha.abc"])
    func goodVersions(_ version: String) throws {
        #expect(Self.problem { $0["version"] = version } == nil)
        #expect(SemanticVersion(version)?.description == version)
    }

    /// (key, value as JSON text, what the error must name)
    @Test(arguments: [
        ("publisher", #""ac.me""#, "'publisher'"),
        ("publisher", #""""#, "'publisher'"),
        ("name", #""hello world""#, "'name'"),
        ("name", #"".hidden""#, "'name'"),
        ("runtime", #""""#, "'runtime'"),
        ("capabilities", #"["ok", "has space"]"#, "'capabilities[1]'"),
        ("ui", #"{"type": "window", "entry": "index.html"}"#, "'ui.type'"),
        ("ui", #"{"type": "iframe", "entry": "../index.html"}"#, "'ui.entry'"),
        ("ui", #"{"type": "iframe", "entry": "/index.html"}"#, "'ui.entry'"),
    ])
    func fieldRules(_ key: String, _ json: String, _ named: String) throws {
        let value = try JSONSerialization.jsonObject(with: Data(json.utf8), options: .fragmentsAllowed)
        #expect(Self.problem { $0[key] = value }?.contains(named) == true)
    }

    @Test(arguments: [
        ("TRACE", "/x", "method"),
        ("get", "/x", "method"),
        ("GET", "x", "must start with '/'"),
        ("GET", "/a/../b", "'..'"),
        ("GET", "/a b", "spaces"),
        ("GET", "/a/:", "parameter name"),
    ])
    func endpointRules(_ method: String, _ path: String, _ named: String) {
        let problem = Self.problem { $0["api"] = ["endpoints": [["method": method, "path": path, "handler": "h"]]] }
        #expect(problem?.contains("api.endpoints[0]") == true)
        #expect(problem?.contains(named) == true)
    }
}
