import HTTPTypes
import NIOCore
import NIOHTTP1

/// Writes a response head as bytes the way Hummingbird and NIO's HTTP/1 encoder would write it,
/// for answers written past the encoder (`FastPathHandler`): the status line, the fields as given,
/// then `Date` and `Server` (which Hummingbird adds last).
struct ResponseHeadWriter: Sendable {
    let date = DateHeader()
    let serverName: String

    /// The head's bytes. Statuses that never carry content (1xx, 204, 304) lose `Content-Length`
    /// and `Transfer-Encoding`, as NIO's encoder strips them.
    func serialize(_ response: HTTPResponse, allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 1024)
        buffer.writeStaticString("HTTP/1.1 ")
        buffer.writeString(String(response.status.code))
        buffer.writeStaticString(" ")
        // An empty phrase (a status made from a bare code) gets the standard one, as NIO's conversion gives it.
        buffer.writeString(response.status.reasonPhrase.isEmpty ? HTTPResponseStatus(statusCode: response.status.code).reasonPhrase : response.status.reasonPhrase)
        buffer.writeStaticString("\r\n")
        let mayHaveContent = response.status.code >= 200 && response.status.code != 204 && response.status.code != 304
        for field in response.headerFields {
            if !mayHaveContent, field.name == .contentLength || field.name == .transferEncoding { continue }
            buffer.writeString(field.name.rawName)
            buffer.writeStaticString(": ")
            buffer.writeString(field.value)
            buffer.writeStaticString("\r\n")
        }
        buffer.writeStaticString("Date: ")
        buffer.writeString(date.value)
        buffer.writeStaticString("\r\nServer: ")
        buffer.writeString(serverName)
        buffer.writeStaticString("\r\n\r\n")
        return buffer
    }

    /// Whether the response needs no framing field added (what NIO's encoder would add: chunked).
    static func framesItself(_ response: HTTPResponse) -> Bool {
        response.headerFields[.contentLength] != nil || response.status == .notModified || response.status == .noContent
            || response.status.code < 200
    }
}
