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

/// The Runner call: the envelope, the attempts within the deadline, the reply mapped.
extension GatewayResponder {
    /// The envelope for an admitted call and its body, sent within the one deadline (retried when
    /// safe), and the Runner's answer mapped. Completes on `eventLoop`; never fails.
    func run(_ call: GatewayCall, body: ByteBuffer, on eventLoop: any EventLoop) -> EventLoopFuture<GatewayReply> {
        let exchange = call.exchange
        exchange.trace.requestBytes = body.readableBytes
        let requestID = exchange.requestID
        let method = exchange.method
        let clientKey = exchange.fields[Self.idempotencyKey]
        let idempotencyKey = method == .get || method == .head ? nil : (clientKey ?? requestID)
        var forwarded = headerPolicy.inbound(exchange.fields.map { ($0.name.canonicalName, $0.value) })
        forwarded["x-request-id"] = requestID
        if let idempotencyKey { forwarded["x-idempotency-key"] = idempotencyKey }
        var query: [String: String] = [:]
        for (key, value) in exchange.uri.queryParameters { query[String(key)] = String(value) }
        let (ext, install, bundle, version) = (call.resolution.ext, call.resolution.install, call.resolution.bundle, call.resolution.version)
        let envelope = RunnerRequest(
            context: .init(request_id: requestID, tenant_id: call.identity.tenantID, extension_id: ext.id, install_id: install.id,
                           content_hash: bundle.contentHash.description, version_id: version.id, config: install.config),
            http: .init(method: method.rawValue, path: call.routed.subpath, query: query, headers: forwarded,
                        body_b64: Data(body.readableBytesView).base64EncodedString(), params: call.params),
            limits: .init(timeout_ms: Int(configuration.timeout / .milliseconds(1))),
            user: .init(user_id: call.identity.userID))
        var headers: [(String, String)] = [("content-type", "application/json"), ("x-request-id", requestID),
                                           ("x-alga-tenant", call.identity.tenantID), ("x-alga-extension", ext.id)]
        if let idempotencyKey { headers.append(("x-idempotency-key", idempotencyKey)) }
        if let token = configuration.runnerServiceToken { headers.append(("authorization", "Bearer " + token)) }
        let attempt = RunnerAttempt(payload: envelope.encoded(), headers: headers, retryable: method == .get || method == .head || clientKey != nil,
                                    deadline: NIODeadline.now() + .nanoseconds(Int64(configuration.timeout / .nanoseconds(1))), exchange: exchange)
        return callRunner(attempt, number: 1, on: eventLoop).map { [self] in finish($0, exchange) }
    }

    /// What every attempt of one Runner call shares.
    struct RunnerAttempt: Sendable {
        var payload: [UInt8]
        var headers: [(String, String)]
        var retryable: Bool
        var deadline: NIODeadline
        var exchange: GatewayExchange
    }

    /// Attempt `number` of the call and, when it fails in a retryable way, the next one after a
    /// capped, jittered backoff on the event loop, all before the deadline.
    func callRunner(_ attempt: RunnerAttempt, number: Int, on eventLoop: any EventLoop) -> EventLoopFuture<GatewayReply> {
        let exchange = attempt.exchange
        guard attempt.deadline > .now() else { return eventLoop.makeSucceededFuture(error(.gatewayTimeout, "runner_timeout", exchange)) }
        if number > 1 { retries.increment() }
        let callStarted = NIODeadline.now()
        let retryOrFail: @Sendable (String) -> EventLoopFuture<GatewayReply> = { [self] failure in
            let left = Duration.nanoseconds((attempt.deadline - .now()).nanoseconds)
            guard attempt.retryable, number <= configuration.maxRetries,
                let wait = retry.delay(afterAttempt: number, remaining: left, jitter: Double.random(in: 0..<1))
            else { return eventLoop.makeSucceededFuture(error(.badGateway, failure, exchange)) }
            return eventLoop.scheduleTask(in: .nanoseconds(Int64(wait / .nanoseconds(1)))) {}.futureResult
                .flatMap { [self] in callRunner(attempt, number: number + 1, on: eventLoop) }
        }
        // One promise for the attempt's outcome (a `flatMap` and a `flatMapError` made two futures).
        let outcome = eventLoop.makePromise(of: GatewayReply.self)
        runner.execute(on: eventLoop, body: attempt.payload, headers: attempt.headers, deadline: attempt.deadline, maxResponseBytes: configuration.maxResponseBytes)
            .whenComplete { [self] result in
                switch result {
                case .success(let reply):
                    runnerDuration.recordNanoseconds((NIODeadline.now() - callStarted).nanoseconds)
                    if [502, 503, 504].contains(reply.status) { return retryOrFail("runner_unavailable").cascade(to: outcome) }
                    guard (200..<300).contains(reply.status) else { return outcome.succeed(error(.badGateway, "runner_error", exchange)) }
                    outcome.succeed(map(reply.body, exchange))
                case .failure(let failure):
                    switch failure as? RunnerFailure {
                    case .timeout?: outcome.succeed(error(.gatewayTimeout, "runner_timeout", exchange))
                    case .tooLarge?: outcome.succeed(error(.badGateway, "runner_response_too_large", exchange))
                    default: retryOrFail("runner_unavailable").cascade(to: outcome)
                    }
                }
            }
        return outcome.futureResult
    }

    /// The Runner's JSON answer → the client's response: a final status 200-599, filtered headers,
    /// base64 body.
    func map(_ body: [UInt8], _ exchange: GatewayExchange) -> GatewayReply {
        guard let reply = try? RunnerResponse.parse(body), (100...599).contains(reply.status),
            let status = HTTPResponse.Status(code: reply.status, reasonPhrase: "") as HTTPResponse.Status?
        else { return error(.badGateway, "runner_invalid_response", exchange) }
        var content = Data()
        if let encoded = reply.body_b64, !encoded.isEmpty {
            guard let decoded = Data(base64Encoded: encoded) else { return error(.badGateway, "runner_invalid_response", exchange) }
            content = decoded
        }
        var fields = HTTPFields()
        for (name, value) in headerPolicy.outbound(reply.headers ?? [:]) {
            if let field = HTTPField.Name(name) { fields[field] = value }
        }
        fields[.contentLength] = String(content.count)
        let isHead = exchange.method == .head
        exchange.trace.responseBytes = isHead ? 0 : content.count
        if isHead || [204, 304].contains(reply.status) || reply.status < 200 { return GatewayReply(status: status, fields: fields, body: nil) }
        return GatewayReply(status: status, fields: fields, body: ByteBuffer(bytes: content))
    }
}
