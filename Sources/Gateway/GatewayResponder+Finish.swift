import BundleIndex
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import Metrics
import NIOCore
import NIOPosix
import Synchronization

/// The end of every request, and the replies the gateway makes itself.
extension GatewayResponder {
    /// The end of every request: the execution-log row, the outcome metric, the log line, and the
    /// fields every response carries (`x-request-id`, CORS for allowed origins).
    func finish(_ reply: GatewayReply, _ exchange: GatewayExchange) -> GatewayReply {
        var reply = reply
        let trace = exchange.trace
        let milliseconds = Int((ContinuousClock.now - trace.started) / .milliseconds(1))
        if let usage, trace.extensionID != "-" {
            // Calls that reached a tenant's install are logged; earlier refusals only count in metrics.
            usage.record(ExecutionLogEntry(tenantID: trace.tenant, extensionID: trace.extensionID, versionID: trace.versionID, requestID: exchange.requestID,
                                           startedAt: trace.startedAt, finishedAt: trace.startedAt.addingTimeInterval(Double(milliseconds) / 1000),
                                           status: Self.logStatus(outcome: trace.outcome), httpStatus: Int(reply.status.code),
                                           durationMilliseconds: milliseconds),
                         requestBytes: trace.requestBytes, responseBytes: trace.responseBytes)
        }
        outcomes.counter(trace.outcome).increment()
        logger.info("gateway request", metadata: [
            "request_id": "\(exchange.requestID)", "tenant": "\(trace.tenant)", "extension": "\(trace.extensionID)", "version": "\(trace.versionID)",
            "content_hash": "\(trace.contentHash)", "method": "\(exchange.method.rawValue)", "status": "\(reply.status.code)",
            "outcome": "\(trace.outcome)", "duration_ms": "\(milliseconds)",
        ])
        reply.fields[Self.requestIDField] = exchange.requestID
        if let origin = exchange.fields[.origin], configuration.allowedOrigins.contains(origin) {
            reply.fields[.accessControlAllowOrigin] = origin
            reply.fields[.vary] = "Origin"
        }
        return reply
    }

    /// The execution log's status for an outcome code.
    static func logStatus(outcome: String) -> ExecutionLogEntry.Status {
        switch outcome {
        case "ok": .ok
        case "runner_timeout": .timeout
        case "runner_unavailable", "runner_error", "runner_invalid_response", "runner_response_too_large": .upstreamError
        case "endpoint_not_found", "method_not_allowed", "payload_too_large", "rate_limited", "quota_exceeded": .policyDenied
        default: .error
        }
    }

    func preflight(_ exchange: GatewayExchange) -> GatewayReply {
        guard let origin = exchange.fields[.origin], configuration.allowedOrigins.contains(origin) else {
            return error(.forbidden, "origin_not_allowed", exchange)
        }
        let requested = (exchange.fields[.accessControlRequestHeaders] ?? "").split(separator: ",").map { $0.trimmingOWS().lowercased() }
        let allowed = requested.filter { HeaderPolicy.inboundAllowed.contains($0) || $0.hasPrefix("x-ext-") || $0 == "authorization" }
        var fields: HTTPFields = [.accessControlAllowMethods: "GET, HEAD, POST, PUT, PATCH, DELETE", .accessControlMaxAge: "600", .contentLength: "0"]
        if !allowed.isEmpty { fields[.accessControlAllowHeaders] = allowed.joined(separator: ", ") }
        return GatewayReply(status: .noContent, fields: fields, body: nil)
    }

    func error(_ status: HTTPResponse.Status, _ code: String, _ exchange: GatewayExchange, extra: HTTPFields = [:]) -> GatewayReply {
        exchange.trace.outcome = code
        let body = #"{"error":"\#(code)","requestId":"\#(exchange.requestID)"}"#
        var fields: HTTPFields = [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store", .contentLength: String(body.utf8.count)]
        for field in extra { fields[field.name] = field.value }
        return GatewayReply(status: status, fields: fields, body: ByteBuffer(string: body))
    }
}
