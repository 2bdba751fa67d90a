import BundleIndex
import Logging
import ServiceLifecycle
import UnixSignals

/// Re-reads `SIGNING_TRUST_BUNDLE` and `EXT_BUNDLE_DENYLIST` on SIGHUP: cached bundles no longer
/// trusted, or now denylisted, are evicted. A file that fails to parse is reported and the previous
/// one stays in force, so a typo never opens or closes the gate by accident.
struct ReloadOnHangup: Service {
    let configuration: Configuration
    let cache: BundleCache
    let logger: Logger

    func run() async throws {
        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
            reload()
        }
    }

    func reload() {
        do {
            let trust = try configuration.loadTrust()
            let evicted = cache.updateTrust(trust)
            logger.info("trust bundle reloaded", metadata: ["evicted": "\(evicted)"])
        } catch {
            logger.error("trust bundle reload failed; keeping the previous one", metadata: ["error": "\(error)"])
        }
        do {
            cache.updateDenylist(try configuration.loadDenylist())
            logger.info("denylist reloaded")
        } catch {
            logger.error("denylist reload failed; keeping the previous one", metadata: ["error": "\(error)"])
        }
    }
}
