import BundleIndex
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Metrics
import NIOCore
import Synchronization

/// `/api/ext/{extensionId}/{path…}`: authenticate the tenant, find its enabled install, match the
/// manifest's endpoint, filter headers, bound the body, call the Runner within one deadline (with
/// retries when safe), and map its answer. Every response carries `x-request-id`; errors are
/// `{"error": "<code>", "requestId"}` and never carry internal detail.
public struct GatewayResponder: Sendable {
    public let configuration: GatewayConfiguration
    public let authenticator: TenantAuthenticator
    public let registry: any Registry
    public let runner: any RunnerClient
    public let limiter: RateLimiter?
    /// The execution log and daily quota; nil logs nothing and enforces no quota.
    public let usage: UsageRecorder?
    public let headerPolicy = HeaderPolicy()
    let retry = RetrySchedule(base: .milliseconds(50), cap: .milliseconds(500), maxAttempts: 3)
    let metrics: any MetricsFactory
    let logger: Logger
    let runnerDuration: Timer
    let retries: Counter
    /// Outcome counters, made once per outcome (a factory lookup per request is measurable).
    let outcomes: OutcomeCounters

    public init(configuration: GatewayConfiguration, authenticator: TenantAuthenticator, registry: any Registry, runner: any RunnerClient, limiter: RateLimiter?,
                usage: UsageRecorder? = nil, metrics: any MetricsFactory = MetricsSystem.factory, logger: Logger = Logger(label: "uiserve.gateway")) {
        self.configuration = configuration
        self.authenticator = authenticator
        self.registry = registry
        self.runner = runner
        self.limiter = limiter
        self.usage = usage
        self.metrics = metrics
        self.logger = logger
        runnerDuration = Timer(label: "uiserve_gateway_runner_duration_seconds", factory: metrics)
        retries = Counter(label: "uiserve_gateway_runner_retries_total", factory: metrics)
        outcomes = OutcomeCounters(factory: metrics)
    }

    /// What one request was about and how it ended, filled in as it goes (a task-local, so the many
    /// exits of `handle` need no extra plumbing), for the log line and the outcome metric.
    final class RequestTrace: @unchecked Sendable {
        var tenant = "-", extensionID = "-", versionID = "-", contentHash = "-", outcome = "ok"
        var requestBytes = 0, responseBytes = 0
    }

    @TaskLocal static var trace: RequestTrace?

    static let prefix = "/api/ext/"
    static let methods: Set<HTTPRequest.Method> = [.get, .head, .post, .put, .patch, .delete]

    public func respond(to request: Request, requestID: String) async -> Response {
        let trace = RequestTrace()
        let started = ContinuousClock.now
        let startedAt = Date()
        var response = await Self.$trace.withValue(trace) { await handle(request, requestID: requestID) }
        let milliseconds = Int((ContinuousClock.now - started) / .milliseconds(1))
        if let usage, trace.extensionID != "-" {
            // Calls that reached a tenant's install are logged; earlier refusals only count in metrics.
            usage.record(ExecutionLogEntry(tenantID: trace.tenant, extensionID: trace.extensionID, versionID: trace.versionID, requestID: requestID,
                                           startedAt: startedAt, finishedAt: startedAt.addingTimeInterval(Double(milliseconds) / 1000),
                                           status: Self.logStatus(outcome: trace.outcome), httpStatus: Int(response.status.code),
                                           durationMilliseconds: milliseconds),
                         requestBytes: trace.requestBytes, responseBytes: trace.responseBytes)
        }
        outcomes.counter(trace.outcome).increment()
        logger.info("gateway request", metadata: [
            "request_id": "\(requestID)", "tenant": "\(trace.tenant)", "extension": "\(trace.extensionID)", "version": "\(trace.versionID)",
            "content_hash": "\(trace.contentHash)", "method": "\(request.method.rawValue)", "status": "\(response.status.code)",
            "outcome": "\(trace.outcome)", "duration_ms": "\(milliseconds)",
        ])
        response.headers[HTTPField.Name("x-request-id")!] = requestID
        if let origin = request.headers[.origin], configuration.allowedOrigins.contains(origin) {
            response.headers[.accessControlAllowOrigin] = origin
            response.headers[.vary] = "Origin"
        }
        return response
    }

    private func handle(_ request: Request, requestID: String) async -> Response {
        let rawPath = request.uri.path
        guard rawPath.hasPrefix(Self.prefix) || rawPath == "/api/ext" else { return error(.notFound, "not_found", requestID) }
        let rest = rawPath.dropFirst(min(rawPath.count, Self.prefix.count))
        let slash = rest.firstIndex(of: "/")
        let extensionSegment = slash.map { rest[..<$0] } ?? rest
        let subpath = slash.map { String(rest[$0...]) } ?? "/"
        guard let extensionID = extensionSegment.percentDecodedString(), ExtensionRecord.isValidReference(extensionID),
            !subpath.contains("//"), let matchPath = subpath.percentDecodedString()
        else { return error(.notFound, "not_found", requestID) }
        if request.method == .options { return preflight(request, requestID: requestID) }
        guard Self.methods.contains(request.method) else {
            return error(.methodNotAllowed, "method_not_allowed", requestID, extra: [.allow: "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"])
        }

        guard case .authenticated(let identity) = await authenticator.authenticate(authorization: request.headers[.authorization]) else {
            return error(.unauthorized, "unauthorized", requestID, extra: [.wwwAuthenticate: "Bearer"])
        }
        Self.trace?.tenant = identity.tenantID
        for name in ["x-alga-tenant", "x-tenant-id"] {
            if let claimed = request.headers[HTTPField.Name(name)!], claimed != identity.tenantID {
                return error(.forbidden, "tenant_mismatch", requestID)
            }
        }

        // Resolution: extension → the tenant's enabled install → version → its active bundle → endpoints.
        let resolved: (ExtensionRecord, InstallRecord, BundleRecord, VersionRecord)
        do {
            guard let ext = try await registry.extensionRecord(matching: extensionID),
                let install = try await registry.enabledInstall(tenantID: identity.tenantID, extensionID: ext.id),
                let bundle = try await registry.activeBundle(versionID: install.versionID),
                let version = try await registry.versionRecord(versionID: install.versionID)
            else { return error(.notFound, "extension_not_available", requestID) }
            resolved = (ext, install, bundle, version)
        } catch {
            return self.error(.serviceUnavailable, "registry_unavailable", requestID, extra: [.retryAfter: "5"])
        }
        let (ext, install, bundle, version) = resolved
        Self.trace?.extensionID = ext.id
        Self.trace?.versionID = version.id
        Self.trace?.contentHash = bundle.contentHash.description
        let params: [String: String]
        switch EndpointMatcher(endpoints: version.endpoints).match(method: request.method.rawValue, path: matchPath) {
        case .notFound:
            return error(.notFound, "endpoint_not_found", requestID)
        case .methodNotAllowed(let allowed):
            return error(.methodNotAllowed, "method_not_allowed", requestID, extra: [.allow: allowed.joined(separator: ", ")])
        case .matched(_, let captured):
            params = captured
        }
        if let limiter, case .limited(let seconds) = limiter.take(tenant: identity.tenantID, extensionID: ext.id) {
            return error(.tooManyRequests, "rate_limited", requestID, extra: [.retryAfter: String(seconds)])
        }
        if let usage, case .exceeded(let seconds) = await usage.admit(tenantID: identity.tenantID, extensionID: ext.id) {
            return error(.tooManyRequests, "quota_exceeded", requestID, extra: [.retryAfter: String(seconds)])
        }

        // The body, counted while it streams in: a lying Content-Length does not help.
        var body = ByteBuffer()
        do {
            for try await chunk in request.body {
                guard body.readableBytes + chunk.readableBytes <= configuration.maxBodyBytes else {
                    return error(.contentTooLarge, "payload_too_large", requestID)
                }
                var chunk = chunk
                body.writeBuffer(&chunk)
            }
        } catch {
            return self.error(.badRequest, "bad_request", requestID)
        }
        Self.trace?.requestBytes = body.readableBytes

        let clientKey = request.headers[HTTPField.Name("x-idempotency-key")!]
        let idempotencyKey = request.method == .get || request.method == .head ? nil : (clientKey ?? requestID)
        var forwarded = headerPolicy.inbound(request.headers.map { ($0.name.canonicalName, $0.value) })
        forwarded["x-request-id"] = requestID
        if let idempotencyKey { forwarded["x-idempotency-key"] = idempotencyKey }
        var query: [String: String] = [:]
        for (key, value) in request.uri.queryParameters { query[String(key)] = String(value) }
        let envelope = RunnerRequest(
            context: .init(request_id: requestID, tenant_id: identity.tenantID, extension_id: ext.id, install_id: install.id,
                           content_hash: bundle.contentHash.description, version_id: version.id, config: install.config),
            http: .init(method: request.method.rawValue, path: subpath, query: query, headers: forwarded,
                        body_b64: Data(body.readableBytesView).base64EncodedString(), params: params),
            limits: .init(timeout_ms: Int(configuration.timeout / .milliseconds(1))),
            user: .init(user_id: identity.userID))
        var headers: [(String, String)] = [("content-type", "application/json"), ("x-request-id", requestID),
                                           ("x-alga-tenant", identity.tenantID), ("x-alga-extension", ext.id)]
        if let idempotencyKey { headers.append(("x-idempotency-key", idempotencyKey)) }
        if let token = configuration.runnerServiceToken { headers.append(("authorization", "Bearer " + token)) }
        let retryable = request.method == .get || request.method == .head || clientKey != nil
        return await callRunner(envelope.encoded(), headers: headers, retryable: retryable, isHead: request.method == .head, requestID: requestID)
    }

    private func callRunner(_ payload: [UInt8], headers: [(String, String)], retryable: Bool, isHead: Bool, requestID: String) async -> Response {
        let clock = ContinuousClock()
        let start = clock.now
        var attempt = 0
        while true {
            attempt += 1
            let remaining = configuration.timeout - (clock.now - start)
            guard remaining > .zero else { return error(.gatewayTimeout, "runner_timeout", requestID) }
            var failure: String
            if attempt > 1 { retries.increment() }
            do {
                let callStarted = ContinuousClock.now
                let (status, body) = try await runner.execute(body: payload, headers: headers, timeout: remaining, maxResponseBytes: configuration.maxResponseBytes)
                runnerDuration.recordNanoseconds(Int64((ContinuousClock.now - callStarted) / .nanoseconds(1)))
                if [502, 503, 504].contains(status) {
                    failure = "runner_unavailable"
                } else if (200..<300).contains(status) {
                    return map(body, isHead: isHead, requestID: requestID)
                } else {
                    return error(.badGateway, "runner_error", requestID)
                }
            } catch RunnerFailure.timeout {
                return error(.gatewayTimeout, "runner_timeout", requestID)
            } catch RunnerFailure.tooLarge {
                return error(.badGateway, "runner_response_too_large", requestID)
            } catch {
                failure = "runner_unavailable"
            }
            let left = configuration.timeout - (clock.now - start)
            guard retryable, attempt <= configuration.maxRetries,
                let wait = retry.delay(afterAttempt: attempt, remaining: left, jitter: Double.random(in: 0..<1))
            else { return error(.badGateway, failure, requestID) }
            try? await Task.sleep(for: wait)
        }
    }

    /// The Runner's JSON answer → the client's response: status 100-599, filtered headers, base64 body.
    private func map(_ body: [UInt8], isHead: Bool, requestID: String) -> Response {
        guard let reply = try? RunnerResponse.parse(body), (100...599).contains(reply.status),
            let status = HTTPResponse.Status(code: reply.status, reasonPhrase: "") as HTTPResponse.Status?
        else { return error(.badGateway, "runner_invalid_response", requestID) }
        var content = Data()
        if let encoded = reply.body_b64, !encoded.isEmpty {
            guard let decoded = Data(base64Encoded: encoded) else { return error(.badGateway, "runner_invalid_response", requestID) }
            content = decoded
        }
        var fields = HTTPFields()
        for (name, value) in headerPolicy.outbound(reply.headers ?? [:]) {
            if let field = HTTPField.Name(name) { fields[field] = value }
        }
        fields[.contentLength] = String(content.count)
        Self.trace?.responseBytes = isHead ? 0 : content.count
        if isHead || [204, 304].contains(reply.status) || reply.status < 200 { return Response(status: status, headers: fields) }
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: content)))
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

    private func preflight(_ request: Request, requestID: String) -> Response {
        guard let origin = request.headers[.origin], configuration.allowedOrigins.contains(origin) else {
            return error(.forbidden, "origin_not_allowed", requestID)
        }
        let requested = (request.headers[.accessControlRequestHeaders] ?? "").split(separator: ",").map { $0.trimmingOWS().lowercased() }
        let allowed = requested.filter { HeaderPolicy.inboundAllowed.contains($0) || $0.hasPrefix("x-ext-") || $0 == "authorization" }
        var fields: HTTPFields = [.accessControlAllowMethods: "GET, HEAD, POST, PUT, PATCH, DELETE", .accessControlMaxAge: "600", .contentLength: "0"]
        if !allowed.isEmpty { fields[.accessControlAllowHeaders] = allowed.joined(separator: ", ") }
        return Response(status: .noContent, headers: fields)
    }

    private func error(_ status: HTTPResponse.Status, _ code: String, _ requestID: String, extra: HTTPFields = [:]) -> Response {
        Self.trace?.outcome = code
        let body = #"{"error":"\#(code)","requestId":"\#(requestID)"}"#
        var fields: HTTPFields = [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store", .contentLength: String(body.utf8.count)]
        for field in extra { fields[field.name] = field.value }
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }
}

/// `uiserve_gateway_requests_total` by outcome, one counter per outcome made on first use.
final class OutcomeCounters: Sendable {
    private let factory: any MetricsFactory
    private let counters = Mutex<[String: Counter]>([:])

    init(factory: any MetricsFactory) { self.factory = factory }

    func counter(_ outcome: String) -> Counter {
        counters.withLock { counters in
            if let counter = counters[outcome] { return counter }
            let counter = Counter(label: "uiserve_gateway_requests_total", dimensions: [("outcome", outcome)], factory: factory)
            counters[outcome] = counter
            return counter
        }
    }
}
