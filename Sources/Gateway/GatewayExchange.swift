import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore

/// One gateway request as both paths see it (the async path's Hummingbird request, or a request
/// head answered on the event loop), and what it turned out to be about, filled in step by step
/// for its log line, execution-log row and outcome metric.
public final class GatewayExchange: @unchecked Sendable {
    // @unchecked: the trace is written by one step at a time (each step runs after the previous
    // one completed, on whichever thread), never concurrently.
    let method: HTTPRequest.Method
    let uri: URI
    let fields: HTTPFields
    let requestID: String
    let trace = Trace()

    final class Trace {
        var tenant = "-", extensionID = "-", versionID = "-", contentHash = "-", outcome = "ok"
        var requestBytes = 0, responseBytes = 0
        let started = ContinuousClock.now
        let startedAt = Date()
    }

    init(method: HTTPRequest.Method, uri: URI, fields: HTTPFields, requestID: String) {
        self.method = method
        self.uri = uri
        self.fields = fields
        self.requestID = requestID
    }
}
