import Testing

@testable import UIServe

/// Request ids: a client's sane `x-request-id` is kept; otherwise `<prefix>-<counter in hex>`.
@Suite struct RequestIdentifierTests {
    @Test(arguments: [0, 1, 9, 10, 15, 16, 255, 4096, 0xDEAD_BEEF, 1 << 60, UInt64.max] as [UInt64])
    func madeIdsAreThePrefixAndTheCounterInHex(_ counter: UInt64) {
        #expect(RequestIdentifier.identifier(counter) == RequestIdentifier.prefix + "-" + String(counter, radix: 16))
    }

    @Test func aClientsIdIsKeptOnlyWhenItIsASaneToken() {
        #expect(RequestIdentifier.from("abc-123_x.y:z") == "abc-123_x.y:z")
        for header in [nil, "", "has space", "new\nline", "quote\"", String(repeating: "a", count: 129), "ünï"] as [String?] {
            let made = RequestIdentifier.from(header)
            #expect(made != header && made.hasPrefix(RequestIdentifier.prefix + "-"), "\(header ?? "nil") → \(made)")
        }
        #expect(RequestIdentifier.from(nil) != RequestIdentifier.from(nil))
    }
}
