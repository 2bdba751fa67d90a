import BundleIndex
import ServiceLifecycle

/// Writes the serving path's registry events (`EventLog`) every second, and once more at shutdown.
struct EventLogFlusher: Service {
    let events: EventLog
    var interval: Duration = .seconds(1)

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            await events.flush()
        }
        await events.flush()
    }
}
