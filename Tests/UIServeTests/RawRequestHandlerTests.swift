import Foundation
import Testing

@testable import UIServe

/// `RawRequestHandler` through the real server: memo hits are answered from the request's bytes
/// (a head that arrives in pieces too), everything else reaches NIO's decoder whole and in order,
/// and a body is never read as a request, whatever it holds.
@Suite struct RawRequestHandlerTests {
    typealias FastPath = ExtUIFastPathTests

    static func undecodedAnswers(port: Int) async throws -> Int {
        try await FastPath.metric("uiserve_ext_ui_undecoded_answers_total", port: port) ?? 0
    }

    /// A plain request answered from the memo; the server is past its first loads.
    static func warmed(_ body: @escaping @Sendable (_ port: Int, _ target: String, _ connection: RawHTTPConnection) async throws -> Void) async throws {
        try await ExtUIRouteTests.withServer { client, harness in
            let port = try #require(client.port)
            let target = ExtUIRouteTests.base(harness) + "/app.js"
            let connection = try RawHTTPConnection(port: port)
            #expect(try await FastPath.requestUntilRemembered(target, on: connection, port: port) > 0)
            try await body(port, target, connection)
        }
    }

    /// Whether `exchange` was answered before the decoder, in one of three tries: a memo entry
    /// lives for a second, and on a loaded machine one may lapse between two requests (then the
    /// request takes the whole path, which makes the entry again).
    static func answeredUndecoded(port: Int, _ exchange: () async throws -> Void) async throws -> Bool {
        for _ in 0..<3 {
            let before = try await undecodedAnswers(port: port)
            try await exchange()
            if try await undecodedAnswers(port: port) == before + 1 { return true }
        }
        return false
    }

    @Test func answersMemoHitsFromTheBytesEvenInPieces() async throws {
        try await Self.warmed { port, target, connection in
            var whole: RawHTTPConnection.Response?
            let wholeUndecoded = try await Self.answeredUndecoded(port: port) {
                try await connection.send(FastPath.request(target, ["x-request-id: whole"]))
                whole = try await connection.response()
            }
            #expect(wholeUndecoded)
            #expect(whole?.status == 200 && whole?.field("x-request-id") == "whole")
            // The same request in three sends: the handler waits for the head's end.
            let text = FastPath.request(target, ["x-request-id: pieces"])
            let cuts = [0, 7, 40, text.utf8.count]
            var pieces: RawHTTPConnection.Response?
            let piecesUndecoded = try await Self.answeredUndecoded(port: port) {
                for (from, to) in zip(cuts, cuts.dropFirst()) {
                    try await connection.send(String(text.utf8.dropFirst(from).prefix(to - from))!)
                    try await Task.sleep(for: .milliseconds(30))
                }
                pieces = try await connection.response()
            }
            #expect(piecesUndecoded)
            #expect(pieces?.status == 200 && pieces?.field("x-request-id") == "pieces")
            #expect(pieces?.body == whole?.body)
        }
    }

    /// Pipelined: a memo hit, a request for Hummingbird (multipart ranges), a memo hit, a POST with
    /// a body, a memo hit. The answers come back in order, the hits after the passed-on request
    /// included (they wait for it, through the decoder).
    @Test func keepsRequestOrderAcrossBothSidesOfTheDecoder() async throws {
        try await Self.warmed { port, target, connection in
            let requests = [
                FastPath.request(target, ["x-request-id: p-1"]),
                FastPath.request(target, ["x-request-id: p-2", "Range: bytes=0-1,5-6"]),
                FastPath.request(target, ["x-request-id: p-3"]),
                FastPath.request(target, ["x-request-id: p-4", "Content-Length: 5"], method: "POST") + "hello",
                FastPath.request(target, ["x-request-id: p-5"]),
            ]
            try await connection.send(requests.joined())
            var seen: [String] = []
            for _ in requests { seen.append(try await connection.response().field("x-request-id") ?? "") }
            #expect(seen == ["p-1", "p-2", "p-3", "p-4", "p-5"])
            try await connection.send(FastPath.request(target, ["x-request-id: p-6"]))
            #expect(try await connection.response().status == 200)
        }
    }

    /// A body that holds a request is a body: under `Content-Length` (answered here as one request)
    /// and under chunked coding (the decoder reads the rest of the connection). Each gets one
    /// answer, and the next real request gets the next.
    @Test func neverReadsABodyAsARequest() async throws {
        try await Self.warmed { port, target, connection in
            let hidden = FastPath.request(target, ["x-request-id: hidden"])
            try await connection.send(FastPath.request(target, ["x-request-id: outer-1", "Content-Length: \(hidden.utf8.count)"], method: "POST") + hidden)
            let first = try await connection.response()
            #expect(first.status == 405 && first.field("x-request-id") == "outer-1")
            try await connection.send(FastPath.request("/healthz", ["x-request-id: after-1"]))
            #expect(try await connection.response().field("x-request-id") == "after-1")

            let chunk = String(hidden.utf8.count, radix: 16) + "\r\n" + hidden + "\r\n0\r\n\r\n"
            try await connection.send(FastPath.request(target, ["x-request-id: outer-2", "Transfer-Encoding: chunked"], method: "POST") + chunk)
            let second = try await connection.response()
            #expect(second.status == 405 && second.field("x-request-id") == "outer-2")
            // The decoder reads from here on: memo hits still come back right, answered after it.
            let before = try await Self.undecodedAnswers(port: port)
            for id in ["after-2", "after-3"] {
                try await connection.send(FastPath.request(target, ["x-request-id: \(id)"]))
                let response = try await connection.response()
                #expect(response.status == 200 && response.field("x-request-id") == id)
            }
            #expect(try await Self.undecodedAnswers(port: port) == before)
        }
    }

    /// A head that breaks RFC 9112's grammar reaches the decoder, which refuses it as before.
    @Test func aMalformedHeadIsTheDecodersToRefuse() async throws {
        try await Self.warmed { port, target, connection in
            try await connection.send("GET \(target) HTTP/1.1\r\nHost: test\r\nX-Bad : a\r\n\r\n")
            let refused = try await connection.response()
            #expect(refused.status == 400)
            #expect(try await connection.readsEndOfStream())
        }
    }
}
