import HTTPTypes
import NIOCore
import NIOHTTP1

/// Writes a response head as bytes the way Hummingbird and NIO's HTTP/1 encoder would write it,
/// for answers written past the encoder (`FastPathHandler`): the status line, the fields as given,
/// then `Date` and `Server` (which Hummingbird adds last).
struct ResponseHeadWriter: Sendable {
    let date = SecondlyText(HTTPDate.format)
    let serverName: String

    /// The head's bytes. Statuses that never carry content (1xx, 204, 304) lose `Content-Length`
    /// and `Transfer-Encoding`, as NIO's encoder strips them.
    func serialize(_ response: HTTPResponse, allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 1024)
        writeStatusLine(response.status, into: &buffer)
        for field in response.headerFields where keeps(field, response.status) { write(field.name.rawName, field.value, into: &buffer) }
        writeEnd(into: &buffer)
        return buffer
    }

    /// The head cut around one field, for answers that differ only in that field's value (the
    /// request id): the status line and the fields before it, and the fields after it, without the
    /// end (`Date`, `Server`, the blank line). Nil when the response has no such field.
    func split(_ response: HTTPResponse, around name: HTTPField.Name, allocator: ByteBufferAllocator) -> (before: ByteBuffer, after: ByteBuffer)? {
        guard response.headerFields[name] != nil else { return nil }
        var before = allocator.buffer(capacity: 1024), after = allocator.buffer(capacity: 64)
        writeStatusLine(response.status, into: &before)
        var seen = false
        for field in response.headerFields where keeps(field, response.status) {
            if field.name == name, !seen {
                seen = true
            } else if seen {
                write(field.name.rawName, field.value, into: &after)
            } else {
                write(field.name.rawName, field.value, into: &before)
            }
        }
        return (before, after)
    }

    /// A head from `split`'s parts with the field's value for this answer.
    func join(_ before: ByteBuffer, _ name: HTTPField.Name, _ value: String, _ after: ByteBuffer, allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: before.readableBytes + after.readableBytes + value.utf8.count + 96)
        buffer.writeImmutableBuffer(before)
        write(name.rawName, value, into: &buffer)
        buffer.writeImmutableBuffer(after)
        writeEnd(into: &buffer)
        return buffer
    }

    private func keeps(_ field: HTTPField, _ status: HTTPResponse.Status) -> Bool {
        let mayHaveContent = status.code >= 200 && status.code != 204 && status.code != 304
        return mayHaveContent || (field.name != .contentLength && field.name != .transferEncoding)
    }

    private func writeStatusLine(_ status: HTTPResponse.Status, into buffer: inout ByteBuffer) {
        buffer.writeStaticString("HTTP/1.1 ")
        buffer.writeString(String(status.code))
        buffer.writeStaticString(" ")
        // An empty phrase (a status made from a bare code) gets the standard one, as NIO's conversion gives it.
        buffer.writeString(status.reasonPhrase.isEmpty ? HTTPResponseStatus(statusCode: status.code).reasonPhrase : status.reasonPhrase)
        buffer.writeStaticString("\r\n")
    }

    private func write(_ name: String, _ value: String, into buffer: inout ByteBuffer) {
        buffer.writeString(name)
        buffer.writeStaticString(": ")
        buffer.writeString(value)
        buffer.writeStaticString("\r\n")
    }

    private func writeEnd(into buffer: inout ByteBuffer) {
        buffer.writeStaticString("Date: ")
        buffer.writeString(date.value)
        buffer.writeStaticString("\r\nServer: ")
        buffer.writeString(serverName)
        buffer.writeStaticString("\r\n\r\n")
    }

    /// Whether the response needs no framing field added (what NIO's encoder would add: chunked).
    static func framesItself(_ response: HTTPResponse) -> Bool {
        response.headerFields[.contentLength] != nil || response.status == .notModified || response.status == .noContent
            || response.status.code < 200
    }
}
