import ArgumentParser
import Foundation
import BundleIndex
import Hummingbird
import Logging
import Prometheus
import Gateway
import ServiceLifecycle

/// `uiserve serve`: the HTTP server, configured from the environment (see the README's table).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Serve /ext-ui/ (and the ops endpoints) on UISERVE_HOST:UISERVE_PORT.")

    @Option(help: "Listen address (overrides UISERVE_HOST).")
    var host: String?

    @Option(help: "Listen port (overrides UISERVE_PORT).")
    var port: Int?

    func run() async throws {
        var config = try Configuration()
        if let host { config.host = host }
        if let port { config.port = port }
        var logger = Logger(label: "uiserve")
        logger.logLevel = .info
        // An unsafe cache root stops start-up before any connection is opened.
        try CacheRoot.prepare(config.cacheRoot)
        let registry = try await SQLRegistry.open(url: config.registryURL)
        do {
            try await serve(config, registry: registry, logger: logger)
        } catch {
            try? await registry.shutdown()
            throw error
        }
        try await registry.shutdown()
    }

    private func serve(_ config: Configuration, registry: SQLRegistry, logger: Logger) async throws {
        try await registry.migrate()
        let prometheus = PrometheusCollectorRegistry()
        let metrics = PrometheusMetricsFactory(registry: prometheus)
        let events = EventLog(registry: registry, metrics: metrics)
        let cache = try BundleCache(configuration: config.cacheConfiguration, store: config.makeStore(), trust: config.loadTrust(),
                                    denylist: config.loadDenylist(), logger: logger,
                                    metrics: CacheMetrics(factory: metrics), events: events)
        let cachedRegistry = CachedRegistry(registry, ttl: config.registryCacheTTL)
        let usage = UsageRecorder(store: registry, configuration: config.usage, metrics: metrics, logger: logger)
        let gateway = try await config.makeGateway(registry: cachedRegistry, usage: usage, metrics: metrics)
        var services: [any Service] = [ReloadOnHangup(configuration: config, cache: cache, logger: logger), EventLogFlusher(events: events)]
        if gateway != nil { services.append(usage) }
        let app = try UIServeApplication.build(configuration: config, registry: cachedRegistry, cache: cache,
                                               logger: logger, prometheus: prometheus, gateway: gateway, services: services)
        let base = "http://\(config.host):\(config.port)"
        print("uiserve listening on \(base) (store: \(config.storeBase), registry: \(config.registryURL), cache: \(config.cacheRoot), signatures: \(config.signaturePolicy.rawValue))")
        print(config.limitsSummary)
        if let hash = config.demoContentHash {
            print("demo extension UI: \(base)/ext-ui/\(config.demoExtension)/\(hash)/")
            print("demo host page:    \(base)/")
        }
        // Flush now: stdout to a file or pipe is block-buffered, and these lines matter at start-up.
        fflush(nil)
        try await app.runService()
    }
}
