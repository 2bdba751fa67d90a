import Foundation
@testable import Gateway
import Testing

/// The hand-written JSON of the Runner envelope and reply: what JSONEncoder/JSONDecoder would have
/// made and accepted, on the inputs that trip writers and parsers up.
@Suite struct RunnerWireTests {
    static let tricky = ["", "plain", "quote \" and backslash \\", "slash / stays", "line\nbreak\r\ttab", "\u{0}\u{1}\u{1f}\u{7f}",
                         "é ü 日本 😀", "\u{2028}\u{2029}", "{\"json\": [1, 2]}"]

    @Test(arguments: tricky)
    func theEnvelopeRoundTrips(_ text: String) throws {
        let request = RunnerRequest(
            context: .init(request_id: text, tenant_id: "t", extension_id: "e", install_id: "i", content_hash: "sha256:00", version_id: "v",
                           config: [text: text, "b": "2", "a": "1"]),
            http: .init(method: "POST", path: "/items/" + text, query: ["q": text], headers: ["x-ext-a": text], body_b64: "AAEC", params: [:]),
            limits: .init(timeout_ms: 5000), user: .init(user_id: text.isEmpty ? nil : text))
        let bytes = request.encoded()
        #expect(try JSONDecoder().decode(RunnerRequest.self, from: Data(bytes)) == request)
        #expect(try JSONSerialization.jsonObject(with: Data(bytes)) is [String: Any])
        // Sorted keys: the same value always makes the same bytes.
        #expect(request.encoded() == bytes)
        #expect(String(decoding: bytes, as: UTF8.self).hasPrefix(#"{"context":{"config":{"#))
    }

    @Test func repliesParse() throws {
        let reply = try RunnerResponse.parse(Array(#" {"status": 201, "headers": {"Content-Type": "application/json", "X-Ext-A": "\u00e9\ud83d\ude00"}, "body_b64": "eyJ9", "error": null} "#.utf8))
        #expect(reply == RunnerResponse(status: 201, headers: ["Content-Type": "application/json", "X-Ext-A": "é😀"], body_b64: "eyJ9"))
        #expect(try RunnerResponse.parse(Array(#"{"status":204}"#.utf8)) == RunnerResponse(status: 204))
        #expect(try RunnerResponse.parse(Array(#"{"status":500,"error":"boom","extra":[1,{"a":[true,false,null]},-1.5e+3]}"#.utf8)).error == "boom")
    }

    @Test(arguments: [
        "", " ", "null", "[]", "{}", #"{"status":"200"}"#, #"{"status":200.5}"#, #"{"status":2e2}"#, #"{"status":200,}"#,
        #"{"status":200} x"#, #"{"status":200,"headers":{"a":1}}"#, #"{"status":200,"headers":[]}"#, #"{"status":200,"body_b64":5}"#,
        #"{"status":200,"headers":{"a":"\x"}}"#, #"{"status":200,"headers":{"a":"\ud800"}}"#, #"{"status":200,"headers":{"a":"\udc00"}}"#,
        "{\"status\":200,\"headers\":{\"a\":\"tab\tinside\"}}", #"{'status':200}"#, #"{"status":0200}"#, #"{"status":-}"#, #"{"status":200"#,
        #"{"status":200,"headers":{"a":"b"}"#, #"{"status":200 /* c */}"#, "{\"status\":200,\"body_b64\":\"\u{FFFD}\"", "[[[[",
    ])
    func invalidRepliesAreRefused(_ text: String) {
        #expect(throws: (any Error).self, "\(text)") { try RunnerResponse.parse(Array(text.utf8)) }
    }

    @Test func invalidUTF8AndDeepNestingAreRefused() {
        #expect(throws: (any Error).self) { try RunnerResponse.parse([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]) }
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: (any Error).self) { try JSONValue.parse(Array(deep.utf8)) }
        let fine = String(repeating: "[", count: 50) + String(repeating: "]", count: 50)
        #expect(throws: Never.self) { try JSONValue.parse(Array(fine.utf8)) }
    }

    @Test func jsonValuesMatchTheRFC() throws {
        // RFC 8259 §13's first example, abridged.
        let text = #"{"Image": {"Width": 800, "Title": "View from 15th Floor", "Animated" : false, "IDs": [116, 943, 234, 38793]}}"#
        guard case .object(let top) = try JSONValue.parse(Array(text.utf8)), case .object(let image)? = top["Image"] else {
            Issue.record("not an object")
            return
        }
        #expect(image["Width"] == .number("800"))
        #expect(image["Animated"] == .bool(false))
        #expect(image["IDs"] == .array([.number("116"), .number("943"), .number("234"), .number("38793")]))
        #expect(try JSONValue.parse(Array(#""\"\\\/\b\f\n\r\t""#.utf8)) == .string("\"\\/\u{8}\u{c}\n\r\t"))
        #expect(try JSONValue.parse(Array("-0.0e-0".utf8)) == .number("-0.0e-0"))
    }
}
