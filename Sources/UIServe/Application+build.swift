import BundleIndex
import Foundation
import Gateway
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import Prometheus
import ServiceLifecycle
import Synchronization

/// Builds the HTTP application: `/ext-ui/` (raw-path routing, see `UIAssetResponder`), the ops
/// endpoints and the demo host page.
enum UIServeApplication {
    typealias Context = BasicRequestContext

    static func build(configuration: Configuration, registry: any Registry, cache: BundleCache, logger: Logger,
                      prometheus: PrometheusCollectorRegistry = PrometheusCollectorRegistry(), gateway: GatewayResponder? = nil,
                      services: [any Service] = []) throws -> some ApplicationProtocol {
        let resolver = BundleResolver(registry: registry, cache: cache, recheckAfter: configuration.registryCacheTTL)
        let assets = UIAssetResponder(
            resolver: resolver,
            headers: try UIHeaderPolicy(contentSecurityPolicy: configuration.contentSecurityPolicy, frameAncestors: configuration.frameAncestors),
            hot: HotAssetCache(maxBytes: configuration.hotCacheBytes))
        let metrics = HTTPMetrics(factory: PrometheusMetricsFactory(registry: prometheus))
        let router = Router(context: Context.self)
        OpsRoutes(registry: registry, cache: cache, resolver: resolver, prometheus: prometheus, adminToken: configuration.adminToken).register(on: router)
        if let hash = configuration.demoContentHash {
            let page = DemoHostPage.html(extensionID: configuration.demoExtension, hash: hash)
            router.get("/") { _, _ in
                Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-cache"],
                         body: .init(byteBuffer: ByteBuffer(string: page)))
            }
        }
        let routes = router.buildResponder()
        let responder = CallbackResponder<Context> { request, context in
            let requestID = RequestIdentifier.from(request.headers[.requestID])
            let path = request.uri.path
            var response: Response
            if path.hasPrefix("/ext-ui/") || path == "/ext-ui" {
                response = try await assets.respond(to: request, context: context, requestID: requestID)
            } else if path.hasPrefix("/api/ext/") || path == "/api/ext" {
                if let gateway {
                    response = await gateway.respond(to: request, requestID: requestID)
                } else {
                    response = ErrorResponse.make(.serviceUnavailable, code: "gateway_not_configured", requestID: requestID)
                }
            } else {
                do {
                    response = try await routes.respond(to: request, context: context)
                    response.headers[.requestID] = requestID
                } catch let error as HTTPError where error.status == .notFound || error.status == .methodNotAllowed {
                    response = ErrorResponse.make(error.status, code: error.status == .notFound ? "not_found" : "method_not_allowed", requestID: requestID)
                }
            }
            metrics.record(path: path, status: response.status.code, bytes: response.headers[.contentLength].flatMap { Int($0) })
            return response
        }
        // One name for both writers: the event-loop answers must carry the `Server` field Hummingbird adds.
        let serverName = "uiserve"
        let writer = ResponseHeadWriter(serverName: serverName)
        let fastPath = FastPathHandler.Answerers(extUI: ExtUIAnswerer(assets: assets, metrics: metrics, writer: writer),
                                                 gateway: gateway.map { GatewayAnswerer(gateway: $0, metrics: metrics, writer: writer) })
        return Application(
            responder: responder,
            server: HTTPServerBuilder { FastPathHTTP1Channel(http1: HTTP1Channel(responder: $0), answerers: fastPath) },
            configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port), serverName: serverName),
            services: services,
            logger: logger)
    }
}

/// The request id: the client's `x-request-id` when it is a sane token, else a new one: a random
/// per-process prefix and a counter (unique, cheap: no UUID per request).
enum RequestIdentifier {
    static let prefix = String(UInt64.random(in: 0...UInt64.max), radix: 16)
    private static let counter = Atomic<UInt64>(0)

    static func from(_ header: String?) -> String {
        if let header, (1...128).contains(header.utf8.count),
            header.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5a) || ($0 >= 0x61 && $0 <= 0x7a) || $0 == 0x2d || $0 == 0x5f || $0 == 0x2e || $0 == 0x3a }) {
            return header
        }
        return identifier(counter.add(1, ordering: .relaxed).newValue)
    }

    /// `<prefix>-<counter in hex>`.
    static func identifier(_ next: UInt64) -> String {
        // Formatted into one buffer: one allocation per id (interpolation and `String(radix:)` made three).
        return String(unsafeUninitializedCapacity: prefix.utf8.count + 17) { buffer in
            var count = 0
            for byte in prefix.utf8 { buffer[count] = byte; count += 1 }
            buffer[count] = UInt8(ascii: "-")
            count += 1
            var digits = 1
            while digits < 16 && next >> (4 * UInt64(digits)) != 0 { digits += 1 }
            for index in (0..<digits).reversed() {
                let nibble = UInt8((next >> (4 * UInt64(index))) & 0xF)
                buffer[count] = nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
                count += 1
            }
            return count
        }
    }
}
