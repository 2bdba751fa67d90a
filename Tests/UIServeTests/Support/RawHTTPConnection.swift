import Foundation

/// One plain TCP connection to a loopback server, for what an HTTP client library hides:
/// pipelined requests written at once, bodies on GET, `Connection: close` and the bytes on the wire.
/// The socket calls block, so they run on the connection's own dispatch queue, never on the
/// concurrency pool the server's responder needs; a receive timeout fails a test instead of hanging it.
final class RawHTTPConnection: @unchecked Sendable {
    struct Response: Sendable {
        var status: Int
        /// As sent, reason phrase included.
        var statusLine: String
        /// Field lines in order, names lowercased.
        var fields: [Field]
        var body: [UInt8]

        struct Field: Sendable {
            var name: String
            var value: String
        }

        func field(_ name: String) -> String? { fields.first { $0.name == name }?.value }
    }

    enum Failure: Error { case connect, send, timeout, malformed(String) }

    private let socket: Int32
    private let queue = DispatchQueue(label: "raw-http-connection")
    private var received: [UInt8] = []
    private(set) var closedByPeer = false

    init(port: Int) throws {
        socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var timeout = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { close(socket); throw Failure.connect }
    }

    deinit { close(socket) }

    /// Writes `text` (requests with CRLF line ends) in one send.
    func send(_ text: String) async throws { try await offPool { try self.sendNow(text) } }

    /// The next response; `headOnly` for the answer to a HEAD request (a length but no body).
    func response(headOnly: Bool = false) async throws -> Response { try await offPool { try self.responseNow(headOnly: headOnly) } }

    /// The next `count` bytes (the rest of a body whose head `response(headOnly:)` read).
    func bytes(_ count: Int) async throws -> [UInt8] { try await offPool { try self.bytesNow(count) } }

    /// Reads until the peer closes; true when it did (and sent nothing more).
    func readsEndOfStream() async throws -> Bool { try await offPool { self.readsEndOfStreamNow() } }

    private func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body() }) }
        }
    }

    private func sendNow(_ text: String) throws {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, 0) }
            guard sent > 0 else { throw Failure.send }
            offset += sent
        }
    }

    private func responseNow(headOnly: Bool) throws -> Response {
        let end = try waitFor { self.received.firstRange(of: Array("\r\n\r\n".utf8)) }
        let head = String(decoding: received[..<end.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        received.removeSubrange(..<end.upperBound)
        guard let statusLine = head.first, statusLine.hasPrefix("HTTP/1.1 "), let status = Int(statusLine.dropFirst(9).prefix(3)) else {
            throw Failure.malformed(head.first ?? "")
        }
        let fields = head.dropFirst().map { line in
            let colon = line.firstIndex(of: ":") ?? line.endIndex
            return Response.Field(name: line[..<colon].lowercased(), value: line[colon...].dropFirst().trimmingCharacters(in: .whitespaces))
        }
        let length = headOnly || status == 304 ? 0 : fields.first { $0.name == "content-length" }.flatMap { Int($0.value) } ?? 0
        _ = try waitFor { self.received.count >= length ? 0..<length : nil }
        let body = Array(received[..<length])
        received.removeSubrange(..<length)
        return Response(status: status, statusLine: statusLine, fields: fields, body: body)
    }

    private func bytesNow(_ count: Int) throws -> [UInt8] {
        _ = try waitFor { self.received.count >= count ? 0..<count : nil }
        defer { received.removeSubrange(..<count) }
        return Array(received[..<count])
    }

    private func readsEndOfStreamNow() -> Bool {
        _ = try? waitFor { self.closedByPeer ? 0..<0 : nil }
        return closedByPeer && received.isEmpty
    }

    private func waitFor<T>(_ ready: () -> T?) throws -> T {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            if let value = ready() { return value }
            if closedByPeer { throw Failure.malformed("connection closed early") }
            let count = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            if count == 0 { closedByPeer = true; continue }
            guard count > 0 else { throw Failure.timeout }
            received += chunk[..<count]
        }
    }
}
