import BundleIndex
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization
import TestSupport
import Testing

@testable import UIServe

/// `/ext-ui/` through the real HTTP server on a loopback port, over a real SQLite registry and a
/// folder store holding the signed demo bundle.
@Suite struct ExtUIRouteTests {
    static func withServer(_ extra: [String: String] = [:], setUp: (ServerHarness) async throws -> Void = { _ in },
                           _ body: @escaping @Sendable (any TestClientProtocol, ServerHarness) async throws -> Void) async throws {
        let harness = try await ServerHarness.make(extra)
        do {
            try await setUp(harness)
            let app = try UIServeApplication.build(configuration: harness.configuration, registry: harness.registry, cache: harness.makeCache(), logger: Logger(label: "test"))
            try await app.test(.live) { client in try await body(client, harness) }
        } catch {
            await harness.cleanUp()
            throw error
        }
        await harness.cleanUp()
    }

    static func base(_ harness: ServerHarness, ext: String = "acme.hello") -> String { "/ext-ui/\(ext)/\(harness.demoHash)" }

    @Test func servesTheEntryWithEveryHeader() async throws {
        try await Self.withServer { client, harness in
            let response = try await client.execute(uri: Self.base(harness) + "/", method: .get)
            #expect(response.status == .ok)
            let h = response.headers
            #expect(h[.contentType] == "text/html; charset=utf-8")
            #expect(h[.contentLength] == "446")
            #expect(h[.cacheControl] == "public, max-age=31536000, immutable")
            #expect(h[.eTag]?.hasPrefix("\"") == true)
            #expect(h[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
            #expect(h[.accessControlAllowOrigin] == "*")
            #expect(h[HTTPField.Name("Cross-Origin-Resource-Policy")!] == "cross-origin")
            #expect(h[HTTPField.Name("Referrer-Policy")!] == "no-referrer")
            #expect(h[HTTPField.Name("Permissions-Policy")!]?.contains("camera=()") == true)
            #expect(h[.contentSecurityPolicy]?.contains("default-src 'self'") == true)
            #expect(h[.acceptRanges] == "bytes")
            #expect(h[HTTPField.Name("x-request-id")!] != nil)
            #expect(String(buffer: response.body).contains("<title>Hello from acme.hello</title>"))
        }
    }

    @Test func everyHashFormAndTheRegistryID() async throws {
        try await Self.withServer { client, harness in
            for hashForm in ["sha256:" + harness.demoHash.hex, "sha256%3A" + harness.demoHash.hex, harness.demoHash.hex, harness.demoHash.hex.uppercased()] {
                let response = try await client.execute(uri: "/ext-ui/acme.hello/\(hashForm)/app.js", method: .get)
                #expect(response.status == .ok, "\(hashForm)")
                #expect(response.headers[.contentType] == "text/javascript; charset=utf-8")
                #expect(response.headers[.contentSecurityPolicy] == nil)
            }
            let byID = try await client.execute(uri: "/ext-ui/\(harness.demoExtensionID)/\(harness.demoHash)/style.css", method: .get)
            #expect(byID.status == .ok)
            let shouted = try await client.execute(uri: "/ext-ui/ACME.Hello/\(harness.demoHash)/style.css", method: .get)
            #expect(shouted.status == .ok)
        }
    }

    @Test func mediaTypesFromTheIndex() async throws {
        try await Self.withServer { client, harness in
            for (path, type) in [("fonts/demo.woff2", "font/woff2"), ("img/logo.png", "image/png"), ("data/items.json", "application/json; charset=utf-8"), ("style.css", "text/css; charset=utf-8")] {
                let response = try await client.execute(uri: Self.base(harness) + "/" + path, method: .get)
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == type, "\(path)")
            }
        }
    }

    @Test func redirectsWithoutTrailingSlashRelatively() async throws {
        try await Self.withServer { client, harness in
            let response = try await client.execute(uri: Self.base(harness) + "?x=1", method: .get)
            #expect(response.status == .permanentRedirect)
            #expect(response.headers[.location] == "./\(harness.demoHash)/?x=1")
            let directory = try await client.execute(uri: Self.base(harness) + "/settings", method: .get)
            #expect(directory.status == .permanentRedirect)
            #expect(directory.headers[.location] == "./settings/")
            let index = try await client.execute(uri: Self.base(harness) + "/settings/", method: .get)
            #expect(index.status == .ok)
            #expect(String(buffer: index.body).contains("nested route"))
        }
    }

    @Test func navigationFallsBackToTheEntry() async throws {
        try await Self.withServer { client, harness in
            let iframe = try await client.execute(uri: Self.base(harness) + "/reports/2024", method: .get, headers: [.secFetchDest: "iframe"])
            #expect(iframe.status == .ok)
            #expect(String(buffer: iframe.body).contains("Hello from acme.hello"))
            let accept = try await client.execute(uri: Self.base(harness) + "/reports", method: .get, headers: [.accept: "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"])
            #expect(accept.status == .ok)
            let script = try await client.execute(uri: Self.base(harness) + "/reports", method: .get, headers: [.secFetchDest: "script"])
            #expect(script.status == .notFound)
            let withExtension = try await client.execute(uri: Self.base(harness) + "/missing.js", method: .get, headers: [.secFetchDest: "document"])
            #expect(withExtension.status == .notFound)
            #expect(withExtension.headers[.cacheControl] == "public, max-age=60")
            #expect(String(buffer: withExtension.body).contains(#""error":"not_found""#))
        }
    }

    @Test(arguments: ["/..%2F..%2Fetc/passwd", "/%2e%2e/x", "/a%5Cb", "/a%00.js", "/a%0a.js", "/./app.js", "//app.js", "/%ff.js", "/%zz", "/a%5cb", "/a/b//c"])
    func badPathsAre400(_ path: String) async throws {
        try await Self.withServer { client, harness in
            let response = try await client.execute(uri: Self.base(harness) + path, method: .get)
            #expect(response.status == .badRequest, "\(path)")
            #expect(response.headers[.cacheControl]?.contains("immutable") != true)
        }
    }

    @Test func unknownExtensionsAndHashesAre404OrBadRequest() async throws {
        try await Self.withServer { client, harness in
            let status1 = try await client.execute(uri: "/ext-ui/acme.other/\(harness.demoHash)/", method: .get).status

            #expect(status1 == .notFound)
            let status2 = try await client.execute(uri: "/ext-ui/acme.hello/sha256:\(String(repeating: "0", count: 64))/", method: .get).status

            #expect(status2 == .notFound)
            let status3 = try await client.execute(uri: "/ext-ui/acme.hello/sha512:\(harness.demoHash.hex)/", method: .get).status

            #expect(status3 == .badRequest)
            let status4 = try await client.execute(uri: "/ext-ui/acme.hello", method: .get).status

            #expect(status4 == .notFound)
        }
    }

    @Test func otherMethodsAre405() async throws {
        try await Self.withServer { client, harness in
            for method in [HTTPRequest.Method.post, .put, .delete, .patch, .options] {
                let response = try await client.execute(uri: Self.base(harness) + "/app.js", method: method)
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "GET, HEAD")
            }
        }
    }

    @Test func headHasHeadersButNoBody() async throws {
        try await Self.withServer { client, harness in
            let response = try await client.execute(uri: Self.base(harness) + "/app.js", method: .head)
            #expect(response.status == .ok)
            #expect(response.headers[.contentLength] == "1204")
            #expect(response.body.readableBytes == 0)
        }
    }

    @Test func ifNoneMatchListsAndStar() async throws {
        try await Self.withServer { client, harness in
            let first = try await client.execute(uri: Self.base(harness) + "/app.js", method: .get)
            let tag = try #require(first.headers[.eTag])
            for value in [tag, "\"nope\", \(tag)", "W/\(tag)", "*"] {
                let response = try await client.execute(uri: Self.base(harness) + "/app.js", method: .get, headers: [.ifNoneMatch: value])
                #expect(response.status == .notModified, "\(value)")
                #expect(response.headers[.eTag] == tag)
                #expect(response.headers[.cacheControl] == "public, max-age=31536000, immutable")
                #expect(response.body.readableBytes == 0)
            }
            // The list is not compared as one string, and an unmatched tag gets the body.
            let miss = try await client.execute(uri: Self.base(harness) + "/app.js", method: .get, headers: [.ifNoneMatch: "\"nope\", \"other\""])
            #expect(miss.status == .ok)
            let html = try await client.execute(uri: Self.base(harness) + "/", method: .get, headers: [.ifNoneMatch: "*"])
            #expect(html.status == .notModified)
            #expect(html.headers[.contentSecurityPolicy] != nil)
        }
    }

    @Test func rangesThroughTheServer() async throws {
        try await Self.withServer { client, harness in
            let app = try Fixtures.data("demo/src/ui/app.js")
            let uri = Self.base(harness) + "/app.js"
            let single = try await client.execute(uri: uri, method: .get, headers: [.range: "bytes=0-9"])
            #expect(single.status == .partialContent)
            #expect(single.headers[.contentRange] == "bytes 0-9/\(app.count)")
            #expect(single.headers[.contentLength] == "10")
            #expect(Data(buffer: single.body) == app.prefix(10))
            let suffix = try await client.execute(uri: uri, method: .get, headers: [.range: "bytes=-5"])
            #expect(suffix.status == .partialContent)
            #expect(Data(buffer: suffix.body) == app.suffix(5))
            #expect(suffix.headers[.contentRange] == "bytes \(app.count - 5)-\(app.count - 1)/\(app.count)")
            let open = try await client.execute(uri: uri, method: .get, headers: [.range: "bytes=1200-"])
            #expect(Data(buffer: open.body) == app.suffix(from: 1200))
            let past = try await client.execute(uri: uri, method: .get, headers: [.range: "bytes=99999-"])
            #expect(past.status == .rangeNotSatisfiable)
            #expect(past.headers[.contentRange] == "bytes */\(app.count)")
            #expect(past.headers[.cacheControl]?.contains("immutable") != true)
            let multi = try await client.execute(uri: uri, method: .get, headers: [.range: "bytes=0-1,-2"])
            #expect(multi.status == .partialContent)
            let type = try #require(multi.headers[.contentType])
            #expect(type.hasPrefix("multipart/byteranges; boundary="))
            let text = String(buffer: multi.body)
            #expect(text.contains("Content-Range: bytes 0-1/\(app.count)"))
            #expect(text.contains("Content-Range: bytes \(app.count - 2)-\(app.count - 1)/\(app.count)"))
            #expect(multi.headers[.contentLength] == String(multi.body.readableBytes))
            let overlapping = try await client.execute(uri: uri, method: .get, headers: [.range: "bytes=0-100,50-150"])
            #expect(overlapping.status == .ok)
            #expect(overlapping.body.readableBytes == app.count)
            let tag = try #require(single.headers[.eTag])
            let ifRangeHit = try await client.execute(uri: uri, method: .get, headers: [.range: "bytes=0-9", .ifRange: tag])
            #expect(ifRangeHit.status == .partialContent)
            let ifRangeMiss = try await client.execute(uri: uri, method: .get, headers: [.range: "bytes=0-9", .ifRange: "\"other\""])
            #expect(ifRangeMiss.status == .ok)
            #expect(ifRangeMiss.body.readableBytes == app.count)
            let weak = try await client.execute(uri: uri, method: .get, headers: [.range: "bytes=0-9", .ifRange: "W/" + tag])
            #expect(weak.status == .ok)
        }
    }

    @Test func precompressedVariants() async throws {
        try await Self.withServer { client, harness in
            let uri = Self.base(harness) + "/style.css"
            let identity = try await client.execute(uri: uri, method: .get)
            #expect(identity.headers[.contentEncoding] == nil)
            #expect(identity.headers[.vary] == "Accept-Encoding")
            let br = try await client.execute(uri: uri, method: .get, headers: [.acceptEncoding: "gzip, deflate, br"])
            #expect(br.headers[.contentEncoding] == "br")
            #expect(br.headers[.vary] == "Accept-Encoding")
            #expect(br.headers[.eTag] != identity.headers[.eTag])
            #expect(br.body.readableBytes < identity.body.readableBytes)
            #expect(br.headers[.contentLength] == String(br.body.readableBytes))
            let gzip = try await client.execute(uri: uri, method: .get, headers: [.acceptEncoding: "gzip"])
            #expect(gzip.headers[.contentEncoding] == "gzip")
            // Ranges apply to the chosen encoding.
            let ranged = try await client.execute(uri: uri, method: .get, headers: [.acceptEncoding: "br", .range: "bytes=0-3"])
            #expect(ranged.status == .partialContent)
            #expect(ranged.headers[.contentRange]?.hasSuffix("/\(br.body.readableBytes)") == true)
            // A 304 carries Vary too; the identity tag does not match the br representation.
            let notModified = try await client.execute(uri: uri, method: .get, headers: [.acceptEncoding: "br", .ifNoneMatch: br.headers[.eTag]!])
            #expect(notModified.status == .notModified)
            #expect(notModified.headers[.vary] == "Accept-Encoding")
            let small = try await client.execute(uri: Self.base(harness) + "/", method: .get, headers: [.acceptEncoding: "br"])
            #expect(small.headers[.contentEncoding] == nil)
            #expect(small.headers[.vary] == nil)
        }
    }

    @Test func preconditionsThroughTheServer() async throws {
        try await Self.withServer { client, harness in
            let uri = Self.base(harness) + "/style.css"
            let first = try await client.execute(uri: uri, method: .get)
            let tag = try #require(first.headers[.eTag])
            let lastModified = try #require(first.headers[.lastModified])
            #expect(HTTPDate.parse(lastModified) != nil)
            #expect(try await client.execute(uri: uri, method: .get, headers: [.ifMatch: tag]).status == .ok)
            let failed = try await client.execute(uri: uri, method: .get, headers: [.ifMatch: "\"nope\""])
            #expect(failed.status == .preconditionFailed)
            #expect(try await client.execute(uri: uri, method: .get, headers: [.ifUnmodifiedSince: "Sun, 06 Nov 1994 08:49:37 GMT"]).status == .preconditionFailed)
            let notModified = try await client.execute(uri: uri, method: .get, headers: [.ifModifiedSince: lastModified])
            #expect(notModified.status == .notModified)
            #expect(notModified.headers[.eTag] == tag)
            #expect(try await client.execute(uri: uri, method: .get, headers: [.ifModifiedSince: "Sun, 06 Nov 1994 08:49:37 GMT"]).status == .ok)
        }
    }

    @Test func requestIDIsHonouredOrMade() async throws {
        try await Self.withServer { client, harness in
            let given = try await client.execute(uri: Self.base(harness) + "/app.js", method: .get, headers: [HTTPField.Name("x-request-id")!: "abc-123"])
            #expect(given.headers[HTTPField.Name("x-request-id")!] == "abc-123")
            let made = try await client.execute(uri: Self.base(harness) + "/app.js", method: .get, headers: [HTTPField.Name("x-request-id")!: "bad value\u{7}"])
            #expect(made.headers[HTTPField.Name("x-request-id")!] != "bad value\u{7}")
        }
    }

    @Test func tamperedBytesAre502AndNeverCached() async throws {
        let hash = try FileDigest.contentHash(ofFileAt: Fixtures.demoBundle)
        try await Self.withServer(setUp: { harness in
            // The registry names the demo hash, but the store's object for it holds other bytes.
            let key = "sha256/\(hash.hex)/bundle.tar.zst"
            try FileManager.default.removeItem(atPath: harness.store.root + "/" + key)
            try FileManager.default.copyItem(atPath: Fixtures.path("hostile/hash-mismatch.tar.zst"), toPath: harness.store.root + "/" + key)
        }) { client, harness in
            let response = try await client.execute(uri: Self.base(harness) + "/", method: .get)
            #expect(response.status == .badGateway)
            #expect(response.headers[.cacheControl] == "no-store")
            #expect(String(buffer: response.body).contains("bundle_verification_failed"))
            let cached = try FileManager.default.contentsOfDirectory(atPath: harness.configuration.cacheRoot).filter { !$0.hasPrefix(".") }
            #expect(cached.isEmpty)
        }
    }

    @Test func badSignatureIs502() async throws {
        try await Self.withServer(setUp: { harness in
            let key = "sha256/\(harness.demoHash.hex)/bundle.sig"
            try FileManager.default.removeItem(atPath: harness.store.root + "/" + key)
            try FileManager.default.copyItem(atPath: Fixtures.path("hostile/sig/other-version.sig"), toPath: harness.store.root + "/" + key)
        }) { client, harness in
            let status5 = try await client.execute(uri: Self.base(harness) + "/", method: .get).status

            #expect(status5 == .badGateway)
        }
    }

    @Test func missingObjectIs503WithRetryAfter() async throws {
        try await Self.withServer(setUp: { harness in
            try FileManager.default.removeItem(atPath: harness.store.root + "/sha256")
        }) { client, harness in
            let response = try await client.execute(uri: Self.base(harness) + "/", method: .get)
            #expect(response.status == .serviceUnavailable)
            #expect(response.headers[.retryAfter] != nil)
            #expect(response.headers[.cacheControl] == "no-store")
        }
    }

    @Test func servesFromCacheWhenStoreAndRegistryAreGone() async throws {
        try await Self.withServer { client, harness in
            let status6 = try await client.execute(uri: Self.base(harness) + "/app.js", method: .get).status

            #expect(status6 == .ok)
            try FileManager.default.removeItem(atPath: harness.store.root)
            try await harness.registry.database.raw("DROP TABLE extension_bundle").run()
            let again = try await client.execute(uri: Self.base(harness) + "/style.css", method: .get)
            #expect(again.status == .ok)
        }
    }

    @Test func aYankedVersionStopsBeingServedAfterTheRegistryTTL() async throws {
        try await Self.withServer(["EXT_REGISTRY_CACHE_TTL_MS": "300"]) { client, harness in
            #expect(try await client.execute(uri: Self.base(harness) + "/app.js", method: .get).status == .ok)
            #expect(try await harness.registry.yank(extensionID: harness.demoExtensionID, version: "1.0.0", actor: "test"))
            try await Task.sleep(for: .milliseconds(400))
            #expect(try await client.execute(uri: Self.base(harness) + "/app.js", method: .get).status == .notFound)
        }
    }

    @Test func aFailingRegistryRecheckKeepsServing() async throws {
        try await Self.withServer(["EXT_REGISTRY_CACHE_TTL_MS": "300"]) { client, harness in
            #expect(try await client.execute(uri: Self.base(harness) + "/app.js", method: .get).status == .ok)
            try await harness.registry.database.raw("DROP TABLE extension_bundle").run()
            try await Task.sleep(for: .milliseconds(400))
            #expect(try await client.execute(uri: Self.base(harness) + "/app.js", method: .get).status == .ok)
        }
    }

    /// 3 MiB of varied bytes: over the hot cache's per-file size.
    static let big = (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) }

    /// Publishes version 1.1.0 of the demo with `ui/big.bin` (`big`) added; returns its hash.
    static func publishLargeFileBundle(_ harness: ServerHarness) async throws -> ContentHash {
        let src = harness.directory + "/big-src"
        try FileManager.default.copyItem(atPath: Fixtures.path("demo/src"), toPath: src)
        let manifestPath = src + "/manifest.json"
        let manifest = try String(contentsOfFile: manifestPath, encoding: .utf8).replacingOccurrences(of: "\"1.0.0\"", with: "\"1.1.0\"")
        try manifest.write(toFile: manifestPath, atomically: true, encoding: .utf8)
        try Data(big).write(to: URL(fileURLWithPath: src + "/ui/big.bin"))
        let packed = try BundlePacker().pack(folder: src, to: harness.directory + "/big.tar.zst")
        try BundleSigner(key: Fixtures.privateKey("ed25519")).envelope(hash: packed.contentHash, identity: BundleIdentity(packed.manifest)).encoded()
            .write(to: URL(fileURLWithPath: harness.directory + "/big.sig"))
        try await ServerHarness.publish(registry: harness.registry, store: harness.store, bundle: harness.directory + "/big.tar.zst",
                                        sig: harness.directory + "/big.sig", hash: packed.contentHash, manifest: packed.manifest)
        return packed.contentHash
    }

    /// A server with `publishLargeFileBundle` published; `body` gets the client and the path of
    /// `big.bin` (its bundle not yet resolved).
    static func withLargeFileServer(_ body: @escaping @Sendable (any TestClientProtocol, String) async throws -> Void) async throws {
        let published = Mutex<ContentHash?>(nil)
        try await withServer(setUp: { harness in
            let hash = try await publishLargeFileBundle(harness)
            published.withLock { $0 = hash }
        }) { client, _ in
            try await body(client, "/ext-ui/acme.hello/\(try #require(published.withLock { $0 }))/big.bin")
        }
    }

    /// Files over the hot cache's per-file size stream from disk in chunks (the first request, which
    /// resolves the bundle) or go out by `sendfile` (the next ones): whole, and in ranges that cross
    /// a chunk boundary, byte for byte.
    @Test func largeFilesStreamWholeAndInRanges() async throws {
        let big = Self.big
        try await Self.withLargeFileServer { client, target in
            let whole = try await client.execute(uri: target, method: .get)
            #expect(whole.status == .ok)
            #expect(whole.headers[.contentLength] == String(big.count))
            #expect(Array(buffer: whole.body) == big)
            let crossing = try await client.execute(uri: target, method: .get, headers: [.range: "bytes=131060-131091"])
            #expect(crossing.status == .partialContent)
            #expect(Array(buffer: crossing.body) == Array(big[131_060...131_091]))
            let suffix = try await client.execute(uri: target, method: .get, headers: [.range: "bytes=-10"])
            #expect(Array(buffer: suffix.body) == Array(big.suffix(10)))
            #expect(suffix.headers[.contentRange] == "bytes \(big.count - 10)-\(big.count - 1)/\(big.count)")
        }
    }

    @Test func healthz() async throws {
        try await Self.withServer { client, _ in
            let response = try await client.execute(uri: "/healthz", method: .get)
            #expect(response.status == .ok)
            let status7 = try await client.execute(uri: "/nope", method: .get).status

            #expect(status7 == .notFound)
        }
    }
}

extension HTTPField.Name {
    static let secFetchDest = HTTPField.Name("Sec-Fetch-Dest")!
}
