import BundleIndex
import Foundation
import HTTPTypes
import Hummingbird
import Prometheus

/// The operations endpoints: `/healthz` (alive), `/readyz` (registry, store and cache usable, as
/// JSON), `/metrics` (Prometheus text), and `POST /internal/prefetch` (warm the cache for a bundle;
/// bearer `UISERVE_ADMIN_TOKEN`).
struct OpsRoutes: Sendable {
    let registry: any Registry
    let cache: BundleCache
    let resolver: BundleResolver
    let prometheus: PrometheusCollectorRegistry
    let adminToken: String?

    func register(on router: Router<BasicRequestContext>) {
        router.get("/healthz") { _, _ in Self.json(.ok, #"{"status":"ok"}"#) }
        router.get("/readyz") { _, _ in await readiness() }
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"],
                     body: .init(byteBuffer: ByteBuffer(string: prometheus.emitToString())))
        }
        router.post("/internal/prefetch") { request, context in try await prefetch(request, context: context) }
    }

    func readiness() async -> Response {
        var checks: [String: String] = [:]
        do { try await registry.probe(); checks["registry"] = "ok" } catch { checks["registry"] = Self.reason(error) }
        do { try await cache.probeStore(); checks["store"] = "ok" } catch { checks["store"] = Self.reason(error) }
        do { try cache.probeWritable(); checks["cache"] = "ok" } catch { checks["cache"] = Self.reason(error) }
        let ready = checks.values.allSatisfy { $0 == "ok" }
        let body = (try? JSONSerialization.data(withJSONObject: ["status": ready ? "ready" : "not_ready", "checks": checks], options: [.sortedKeys]))
            .map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return Self.json(ready ? .ok : .serviceUnavailable, body)
    }

    private struct PrefetchRequest: Decodable {
        var extensionId: String
        var contentHash: String
    }

    func prefetch(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let requestID = RequestIdentifier.from(request.headers[.requestID])
        guard let adminToken, let given = request.headers[.authorization], given.hasPrefix("Bearer "),
            Self.constantTimeEqual(Array(given.dropFirst(7).utf8), Array(adminToken.utf8))
        else {
            return ErrorResponse.make(.unauthorized, code: "unauthorized", requestID: requestID, extra: [.wwwAuthenticate: "Bearer"])
        }
        let body = try await request.body.collect(upTo: 16 << 10)
        guard let parsed = try? JSONDecoder().decode(PrefetchRequest.self, from: body), ExtensionRecord.isValidReference(parsed.extensionId),
            let hash = ContentHash(parsing: parsed.contentHash)
        else { return ErrorResponse.make(.badRequest, code: "bad_request", requestID: requestID) }
        do {
            let bundle = try await resolver.resolve(extensionID: parsed.extensionId, hash: hash)
            return Self.json(.ok, #"{"status":"cached","contentHash":"\#(hash)","files":\#(bundle.index.files.count)}"#)
        } catch {
            return ErrorResponse.make(for: error, requestID: requestID)
        }
    }

    static func json(_ status: HTTPResponse.Status, _ body: String) -> Response {
        Response(status: status, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
                 body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static func reason(_ error: any Error) -> String {
        (error as? BundleIndexError).map { "\($0.code): \($0.message.prefix(200))" } ?? "error"
    }

    /// Compares secrets without an early exit, so timing does not reveal a prefix.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }
}
