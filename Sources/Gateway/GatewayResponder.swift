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

    static let prefix = "/api/ext/"
    static let methods: Set<HTTPRequest.Method> = [.get, .head, .post, .put, .patch, .delete]

    // MARK: the async path (Hummingbird)

    public func respond(to request: Request, requestID: String) async -> Response {
        let exchange = GatewayExchange(method: request.method, uri: request.uri, fields: request.headers, requestID: requestID)
        var reply: GatewayReply
        switch await start(exchange) {
        case .reply(let early):
            reply = early
        case .call(let call):
            // The body, counted while it streams in: a lying Content-Length does not help.
            var body = ByteBuffer()
            do {
                for try await chunk in request.body {
                    guard body.readableBytes + chunk.readableBytes <= configuration.maxBodyBytes else { return call.bodyTooLarge().response }
                    var chunk = chunk
                    body.writeBuffer(&chunk)
                }
            } catch {
                return finish(self.error(.badRequest, "bad_request", exchange), exchange).response
            }
            do {
                reply = try await call.run(body: body, on: runnerEventLoop).get()
            } catch {
                // `run` never fails; an event loop shut down under it is the only way here.
                reply = finish(self.error(.badGateway, "runner_unavailable", exchange), exchange)
            }
        }
        return reply.response
    }

    /// Where the async path's Runner calls run (a NIO Runner client's own loops when it has them).
    private var runnerEventLoop: any EventLoop { ((runner as? NIORunnerClient)?.group ?? MultiThreadedEventLoopGroup.singleton).any() }

    /// The steps before the body, awaiting the lookups that are not in memory.
    func start(_ exchange: GatewayExchange) async -> GatewayStart {
        let routed: RoutedRequest
        switch route(exchange) {
        case .reply(let reply): return .reply(finish(reply, exchange))
        case .next(let request): routed = request
        }
        let outcome = await authenticator.authenticate(authorization: exchange.fields[.authorization])
        let identity: TenantIdentity
        switch authorize(outcome, exchange) {
        case .reply(let reply): return .reply(finish(reply, exchange))
        case .next(let known): identity = known
        }
        let resolution: Resolution?
        do {
            resolution = try await resolve(extensionID: routed.extensionID, tenantID: identity.tenantID)
        } catch {
            return .reply(finish(self.error(.serviceUnavailable, "registry_unavailable", exchange, extra: [.retryAfter: "5"]), exchange))
        }
        if let usage, resolution != nil { await usage.loadBaseline(tenantID: identity.tenantID) }
        return admit(routed, identity, resolution, exchange)
    }

    // MARK: the event-loop path

    /// The same steps as `respond` up to the body, answered only from memory: a token verified
    /// before, registry answers the cache holds, the tenant's quota total loaded. Nil when any step
    /// would wait; the request then goes to `respond`, and nothing was counted or taken here.
    public func startRemembered(method: HTTPRequest.Method, uri: URI, fields: HTTPFields, requestID: String) -> GatewayStart? {
        let exchange = GatewayExchange(method: method, uri: uri, fields: fields, requestID: requestID)
        let routed: RoutedRequest
        switch route(exchange) {
        case .reply(let reply): return .reply(finish(reply, exchange))
        case .next(let request): routed = request
        }
        guard let outcome = authenticator.remembered(authorization: fields[.authorization]) else { return nil }
        let identity: TenantIdentity
        switch authorize(outcome, exchange) {
        case .reply(let reply): return .reply(finish(reply, exchange))
        case .next(let known): identity = known
        }
        guard let resolution = rememberedResolution(extensionID: routed.extensionID, tenantID: identity.tenantID) else { return nil }
        if let usage, resolution != nil, !usage.hasBaseline(tenantID: identity.tenantID) { return nil }
        return admit(routed, identity, resolution, exchange)
    }

    // MARK: the steps

    /// The route's own part: the path, the method, a CORS preflight.
    private func route(_ exchange: GatewayExchange) -> Step<RoutedRequest> {
        let rawPath = exchange.uri.path
        guard rawPath.hasPrefix(Self.prefix) || rawPath == "/api/ext" else { return .reply(error(.notFound, "not_found", exchange)) }
        let rest = rawPath.dropFirst(min(rawPath.count, Self.prefix.count))
        let slash = rest.firstIndex(of: "/")
        let extensionSegment = slash.map { rest[..<$0] } ?? rest
        let subpath = slash.map { String(rest[$0...]) } ?? "/"
        guard let extensionID = extensionSegment.percentDecodedString(), ExtensionRecord.isValidReference(extensionID),
            !subpath.hasEmptySegment, let matchPath = subpath.percentDecodedString()
        else { return .reply(error(.notFound, "not_found", exchange)) }
        if exchange.method == .options { return .reply(preflight(exchange)) }
        guard Self.methods.contains(exchange.method) else {
            return .reply(error(.methodNotAllowed, "method_not_allowed", exchange, extra: [.allow: "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"]))
        }
        return .next(RoutedRequest(extensionID: extensionID, subpath: subpath, matchPath: matchPath))
    }

    /// The token's outcome → the tenant, or 401; a tenant header that disagrees → 403.
    private func authorize(_ outcome: TenantAuthenticator.Outcome, _ exchange: GatewayExchange) -> Step<TenantIdentity> {
        guard case .authenticated(let identity) = outcome else {
            return .reply(error(.unauthorized, "unauthorized", exchange, extra: [.wwwAuthenticate: "Bearer"]))
        }
        exchange.trace.tenant = identity.tenantID
        for name in [Self.algaTenant, Self.tenantID] {
            if let claimed = exchange.fields[name], claimed != identity.tenantID { return .reply(error(.forbidden, "tenant_mismatch", exchange)) }
        }
        return .next(identity)
    }

    static let algaTenant = HTTPField.Name("x-alga-tenant")!
    static let tenantID = HTTPField.Name("x-tenant-id")!
    static let idempotencyKey = HTTPField.Name("x-idempotency-key")!
    static let requestIDField = HTTPField.Name("x-request-id")!

    /// Extension → the tenant's enabled install → version → its active bundle; nil when any is absent.
    struct Resolution: Sendable {
        var ext: ExtensionRecord
        var install: InstallRecord
        var bundle: BundleRecord
        var version: VersionRecord
    }

    private func resolve(extensionID: String, tenantID: String) async throws -> Resolution? {
        guard let ext = try await registry.extensionRecord(matching: extensionID),
            let install = try await registry.enabledInstall(tenantID: tenantID, extensionID: ext.id),
            let bundle = try await registry.activeBundle(versionID: install.versionID),
            let version = try await registry.versionRecord(versionID: install.versionID)
        else { return nil }
        return Resolution(ext: ext, install: install, bundle: bundle, version: version)
    }

    /// `resolve` from the registry cache alone: nil when a lookup is not in it, `.some(nil)` when
    /// the cache remembers an absence.
    private func rememberedResolution(extensionID: String, tenantID: String) -> Resolution?? {
        guard let cache = registry as? CachedRegistry, let ext = cache.rememberedExtension(matching: extensionID) else { return nil }
        guard let ext else { return .some(nil) }
        guard let install = cache.rememberedInstall(tenantID: tenantID, extensionID: ext.id) else { return nil }
        guard let install else { return .some(nil) }
        guard let bundle = cache.rememberedActiveBundle(versionID: install.versionID), let version = cache.rememberedVersion(versionID: install.versionID) else { return nil }
        guard let bundle, let version else { return .some(nil) }
        return .some(Resolution(ext: ext, install: install, bundle: bundle, version: version))
    }

    /// The manifest's endpoint, the rate limit and the quota: the call, admitted, or the refusal.
    private func admit(_ routed: RoutedRequest, _ identity: TenantIdentity, _ resolution: Resolution?, _ exchange: GatewayExchange) -> GatewayStart {
        guard let resolution else { return .reply(finish(error(.notFound, "extension_not_available", exchange), exchange)) }
        exchange.trace.extensionID = resolution.ext.id
        exchange.trace.versionID = resolution.version.id
        exchange.trace.contentHash = resolution.bundle.contentHash.description
        let params: [String: String]
        switch EndpointMatcher(endpoints: resolution.version.endpoints).match(method: exchange.method.rawValue, path: routed.matchPath) {
        case .notFound:
            return .reply(finish(error(.notFound, "endpoint_not_found", exchange), exchange))
        case .methodNotAllowed(let allowed):
            return .reply(finish(error(.methodNotAllowed, "method_not_allowed", exchange, extra: [.allow: allowed.joined(separator: ", ")]), exchange))
        case .matched(_, let captured):
            params = captured
        }
        if let limiter, case .limited(let seconds) = limiter.take(tenant: identity.tenantID, extensionID: resolution.ext.id) {
            return .reply(finish(error(.tooManyRequests, "rate_limited", exchange, extra: [.retryAfter: String(seconds)]), exchange))
        }
        if let usage, case .exceeded(let seconds) = usage.admitWithoutWaiting(tenantID: identity.tenantID, extensionID: resolution.ext.id) {
            return .reply(finish(error(.tooManyRequests, "quota_exceeded", exchange, extra: [.retryAfter: String(seconds)]), exchange))
        }
        return .call(GatewayCall(exchange: exchange, identity: identity, resolution: resolution, routed: routed, params: params, responder: self))
    }

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
        return callRunner(attempt, number: 1, on: eventLoop).map { finish($0, exchange) }
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
    private func callRunner(_ attempt: RunnerAttempt, number: Int, on eventLoop: any EventLoop) -> EventLoopFuture<GatewayReply> {
        let exchange = attempt.exchange
        guard attempt.deadline > .now() else { return eventLoop.makeSucceededFuture(error(.gatewayTimeout, "runner_timeout", exchange)) }
        if number > 1 { retries.increment() }
        let callStarted = NIODeadline.now()
        let retryOrFail: @Sendable (String) -> EventLoopFuture<GatewayReply> = { failure in
            let left = Duration.nanoseconds((attempt.deadline - .now()).nanoseconds)
            guard attempt.retryable, number <= configuration.maxRetries,
                let wait = retry.delay(afterAttempt: number, remaining: left, jitter: Double.random(in: 0..<1))
            else { return eventLoop.makeSucceededFuture(error(.badGateway, failure, exchange)) }
            return eventLoop.scheduleTask(in: .nanoseconds(Int64(wait / .nanoseconds(1)))) {}.futureResult
                .flatMap { callRunner(attempt, number: number + 1, on: eventLoop) }
        }
        return runner.execute(on: eventLoop, body: attempt.payload, headers: attempt.headers, deadline: attempt.deadline, maxResponseBytes: configuration.maxResponseBytes)
            .flatMap { reply in
                runnerDuration.recordNanoseconds((NIODeadline.now() - callStarted).nanoseconds)
                if [502, 503, 504].contains(reply.status) { return retryOrFail("runner_unavailable") }
                guard (200..<300).contains(reply.status) else { return eventLoop.makeSucceededFuture(error(.badGateway, "runner_error", exchange)) }
                return eventLoop.makeSucceededFuture(map(reply.body, exchange))
            }
            .flatMapError { failure in
                switch failure as? RunnerFailure {
                case .timeout?: eventLoop.makeSucceededFuture(error(.gatewayTimeout, "runner_timeout", exchange))
                case .tooLarge?: eventLoop.makeSucceededFuture(error(.badGateway, "runner_response_too_large", exchange))
                default: retryOrFail("runner_unavailable")
                }
            }
    }

    /// The Runner's JSON answer → the client's response: a final status 200-599, filtered headers,
    /// base64 body.
    private func map(_ body: [UInt8], _ exchange: GatewayExchange) -> GatewayReply {
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

    private func preflight(_ exchange: GatewayExchange) -> GatewayReply {
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

/// A step's result: the next step's input, or the reply that ends the request.
enum Step<Value> {
    case next(Value)
    case reply(GatewayReply)
}

/// The route part of a gateway path: the extension reference and the path under it.
struct RoutedRequest: Sendable {
    var extensionID: String
    var subpath: String
    var matchPath: String
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
