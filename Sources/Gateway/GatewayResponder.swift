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
public final class GatewayResponder: Sendable {
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
            var body = ByteBuffer()
            do {
                for try await chunk in request.body {
                    var chunk = chunk
                    guard call.collect(&chunk, into: &body) else { return call.bodyTooLarge().response }
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
}
