import BundleIndex
import Foundation
import TestSupport
import Testing

/// `uiserve serve` as started by an operator: it refuses an unsafe cache root with one line, prints
/// the limits in force at start-up, and finishes answers in flight when asked to stop.
@Suite struct ServeStartupTests {
    @Test func refusesACacheRootOthersCanWrite() async throws {
        try await Fixtures.withTemporaryDirectory { dir in
            try FileManager.default.createDirectory(atPath: dir + "/cache", withIntermediateDirectories: false)
            chmod(dir + "/cache", 0o777)
            let result = try await RegistryCLITests.uiserve(environment: [
                "REGISTRY_URL": "sqlite://\(dir)/registry.sqlite", "EXT_CACHE_ROOT": dir + "/cache", "SIGNING_POLICY": "off",
                "BUNDLE_STORE_BASE": dir + "/store", "UISERVE_PORT": String(Int.random(in: 30_000...39_000)),
            ], ["serve"])
            RegistryCLITests.expectRefusal(result, "is writable by others (mode 777)")
        }
    }

    @Test func printsTheLimitsAtStartUp() async throws {
        let binary = Fixtures.uiserveBinary
        try #require(FileManager.default.isExecutableFile(atPath: binary), "build uiserve first (swift build)")
        try await Fixtures.withTemporaryDirectory { dir in
            let port = Int.random(in: 30_000...39_000)
            let server = Process()
            server.executableURL = URL(fileURLWithPath: binary)
            server.arguments = ["serve", "--port", String(port)]
            server.environment = ["REGISTRY_URL": "sqlite://\(dir)/registry.sqlite", "EXT_CACHE_ROOT": dir + "/cache", "SIGNING_POLICY": "off",
                                  "BUNDLE_STORE_BASE": dir + "/store", "EXT_GATEWAY_DAILY_QUOTA": "500", "PATH": "/usr/bin:/bin"]
            _ = FileManager.default.createFile(atPath: dir + "/out.txt", contents: nil)
            server.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/out.txt"))
            server.standardError = FileHandle.nullDevice
            try server.run()
            defer { if server.isRunning { kill(server.processIdentifier, SIGKILL) } }
            var output = ""
            for _ in 0..<200 where !output.contains("limits:") {
                try await Task.sleep(for: .milliseconds(50))
                output = (try? String(contentsOfFile: dir + "/out.txt", encoding: .utf8)) ?? ""
            }
            let line = try #require(output.split(separator: "\n").first { $0.hasPrefix("limits: ") })
            for expected in ["EXT_CACHE_MAX_BYTES=1073741824", "EXT_BUNDLE_MAX_BYTES=209715200", "EXT_BUNDLE_MAX_ENTRIES=10000",
                             "EXT_BUNDLE_MAX_EXPANDED_BYTES=268435456", "EXT_STATIC_MAX_FILE_BYTES=33554432", "EXT_GATEWAY_MAX_BODY_BYTES=10485760",
                             "EXT_GATEWAY_TIMEOUT_MS=5000", "EXT_GATEWAY_DAILY_QUOTA=500"] {
                #expect(line.contains(expected), "\(expected) not in \(line)")
            }
            kill(server.processIdentifier, SIGTERM)
            server.waitUntilExit()
        }
    }

    /// SIGTERM while a 24 MiB file is going out by `sendfile` from the event loop, its client not
    /// reading yet: the answer still arrives whole, then the connection closes and the process
    /// exits 0. (Without holding back the shutdown until that answer has left, the connection was
    /// closed under it.)
    @Test func aGracefulShutdownFinishesAnAnswerInFlight() async throws {
        try await Fixtures.withTemporaryDirectory { dir in
            try FileManager.default.copyItem(atPath: Fixtures.path("demo/src"), toPath: dir + "/src")
            let size = 24 << 20
            try Data(repeating: 0x5a, count: size).write(to: URL(fileURLWithPath: dir + "/src/ui/big.bin"))
            let environment = ["REGISTRY_URL": "sqlite://\(dir)/registry.sqlite", "EXT_CACHE_ROOT": dir + "/cache", "SIGNING_POLICY": "off",
                               "BUNDLE_STORE_BASE": dir + "/store"]
            for arguments in [["bundle", "pack", dir + "/src", "-o", dir + "/b.tar.zst"], ["bundle", "publish", dir + "/b.tar.zst"]] {
                let result = try await RegistryCLITests.uiserve(environment: environment, arguments)
                try #require(result.status == 0, "\(arguments): \(result.output)")
            }
            let target = "/ext-ui/acme.hello/\(try FileDigest.contentHash(ofFileAt: dir + "/b.tar.zst"))/big.bin"
            try await Self.withServe(environment: environment) { server, client in
                // The first request resolves the bundle through Hummingbird; the second is answered on
                // the event loop. Only its head is read before the signal.
                try await client.send(ExtUIFastPathTests.request(target))
                #expect(try await client.response().body.count == size)
                try await client.send(ExtUIFastPathTests.request(target))
                let head = try await client.response(headOnly: true)
                #expect(head.status == 200 && head.field("content-length") == String(size))
                kill(server.processIdentifier, SIGTERM)
                try await Task.sleep(for: .milliseconds(300))
                let body = try await client.bytes(size)
                // memcmp: an element-wise check of 24 MiB in a debug build holds a concurrency thread
                // for most of a second, which other suites' servers running alongside feel.
                let expected = [UInt8](repeating: 0x5a, count: size)
                #expect(body.count == size && memcmp(body, expected, size) == 0)
                #expect(try await client.readsEndOfStream())
                server.waitUntilExit()
                #expect(server.terminationStatus == 0)
            }
        }
    }

    /// SIGTERM while a gateway call answered on the event loop waits for a slow Runner: the answer
    /// still arrives, then the connection closes and the process exits 0 (the handler holds the
    /// shutdown back until its answer has left).
    @Test func aGracefulShutdownFinishesAGatewayCallInFlight() async throws {
        try await FakeRunner.with { runner in
            let runnerPort = try #require(runner.port.withLock { $0 })
            try await Fixtures.withTemporaryDirectory { dir in
                let environment = ["REGISTRY_URL": "sqlite://\(dir)/registry.sqlite", "EXT_CACHE_ROOT": dir + "/cache", "SIGNING_POLICY": "off",
                                   "BUNDLE_STORE_BASE": dir + "/store", "RUNNER_BASE_URL": "http://127.0.0.1:\(runnerPort)",
                                   "EXT_GATEWAY_JWT_SECRET": GatewayRouteTests.secret]
                for arguments in [["bundle", "publish", Fixtures.demoBundle], ["install", "add", "--tenant", "t1", "--extension", "acme.hello", "--version", "1.0.0"]] {
                    let result = try await RegistryCLITests.uiserve(environment: environment, arguments)
                    try #require(result.status == 0, "\(arguments): \(result.output)")
                }
                try await Self.withServe(environment: environment) { server, client in
                    let request = GatewayFastPathTests.request("/api/ext/acme.hello/items", ["Authorization: Bearer " + (try await GatewayRouteTests.token())])
                    // The first call resolves through Hummingbird; the second is taken on the event loop.
                    try await client.send(request)
                    #expect(try await client.response().status == 200)
                    runner.mode.withLock { $0 = .delayed(.seconds(2)) }
                    try await client.send(request)
                    try await Task.sleep(for: .milliseconds(500))
                    kill(server.processIdentifier, SIGTERM)
                    let answer = try await client.response()
                    #expect(answer.status == 200 && String(decoding: answer.body, as: UTF8.self) == "ok")
                    #expect(try await client.readsEndOfStream())
                    server.waitUntilExit()
                    #expect(server.terminationStatus == 0)
                }
            }
        }
    }

    /// Runs `uiserve serve` (the built binary) with `environment` on a random port, and `body` with
    /// the process and a connection to it; kills the process if it is still running afterwards.
    static func withServe(environment: [String: String], _ body: (Process, RawHTTPConnection) async throws -> Void) async throws {
        let binary = Fixtures.uiserveBinary
        try #require(FileManager.default.isExecutableFile(atPath: binary), "build uiserve first (swift build)")
        let port = Int.random(in: 30_000...39_000)
        let server = Process()
        server.executableURL = URL(fileURLWithPath: binary)
        server.arguments = ["serve", "--port", String(port)]
        server.environment = environment.merging(["PATH": "/usr/bin:/bin"]) { $1 }
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer { if server.isRunning { kill(server.processIdentifier, SIGKILL) } }
        var connection: RawHTTPConnection?
        for _ in 0..<200 where connection == nil {
            connection = try? RawHTTPConnection(port: port)
            if connection == nil { try await Task.sleep(for: .milliseconds(50)) }
        }
        try await body(server, try #require(connection))
    }
}
