import Foundation
import Hummingbird
import NIOCore
import Synchronization

/// A fake Runner that is a real HTTP server on a loopback port: records what `/v1/execute`
/// receives and answers as its mode says.
final class FakeRunner: Sendable {
    enum Mode: Sendable {
        /// Answer `status` with `headers` and `body`.
        case reply(status: Int, headers: [String: String], body: String)
        /// Answer 503 this many times, then reply normally.
        case failThenReply(failures: Int)
        /// Never answer (until the test ends).
        case hang
        /// Answer `ok` after this long.
        case delayed(Duration)
        /// Answer with this raw JSON.
        case raw(String)
    }

    struct Received: Sendable {
        var headers: [String: String]
        var body: [String: Any]? { try? JSONSerialization.jsonObject(with: raw) as? [String: Any] }
        var raw: Data
    }

    let mode = Mutex<Mode>(.reply(status: 200, headers: [:], body: "ok"))
    let received = Mutex<[Received]>([])
    let port = Mutex<Int?>(nil)

    var calls: Int { received.withLock { $0.count } }

    func handle(_ request: Request) async throws -> Response {
        let body = try await request.body.collect(upTo: 64 << 20)
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        received.withLock { $0.append(Received(headers: headers, raw: Data(buffer: body))) }
        let current = mode.withLock { $0 }
        switch current {
        case .hang:
            try await Task.sleep(for: .seconds(120))
            return Response(status: .ok)
        case .delayed(let delay):
            try await Task.sleep(for: delay)
            return Self.json(#"{"status":200,"headers":{"content-type":"text/plain"},"body_b64":"\#(Data("ok".utf8).base64EncodedString())"}"#)
        case .failThenReply(let failures):
            if calls <= failures { return Response(status: .serviceUnavailable) }
            return Self.json(#"{"status":200,"headers":{"content-type":"text/plain"},"body_b64":"\#(Data("ok".utf8).base64EncodedString())"}"#)
        case .reply(let status, let headers, let body):
            let encodedHeaders = String(decoding: try JSONSerialization.data(withJSONObject: headers), as: UTF8.self)
            return Self.json(#"{"status":\#(status),"headers":\#(encodedHeaders),"body_b64":"\#(Data(body.utf8).base64EncodedString())"}"#)
        case .raw(let text):
            return Self.json(text)
        }
    }

    static func json(_ text: String) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// Runs `body` with the fake Runner listening.
    static func with(_ body: @escaping @Sendable (FakeRunner) async throws -> Void) async throws {
        let runner = FakeRunner()
        let router = Router()
        router.post("/v1/execute") { request, _ in try await runner.handle(request) }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { channel in runner.port.withLock { $0 = channel.localAddress?.port } })
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService(gracefulShutdownSignals: []) }
            while runner.port.withLock({ $0 }) == nil { try await Task.sleep(for: .milliseconds(10)) }
            do {
                try await body(runner)
            } catch {
                group.cancelAll()
                throw error
            }
            group.cancelAll()
        }
    }
}
