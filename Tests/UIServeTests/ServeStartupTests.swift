import Foundation
import TestSupport
import Testing

/// `uiserve serve` as started by an operator: it refuses an unsafe cache root with one line, and
/// prints the limits in force at start-up.
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
            FileManager.default.createFile(atPath: dir + "/out.txt", contents: nil)
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
}
