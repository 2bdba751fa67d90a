import BundleIndex
import Foundation
import TestSupport
import Testing

/// The registry and install commands as an operator runs them: the built `uiserve` binary with
/// `REGISTRY_URL` set, on a real SQLite file and a real PostgreSQL database, refusals included.
@Suite struct RegistryCLITests {
    enum Backend: String, CaseIterable, Sendable { case sqlite, postgres }

    /// Runs `uiserve <arguments>` against `url`; returns (status, stdout, stderr).
    static func uiserve(_ url: String, _ arguments: String...) async throws -> Shell.Result {
        try await uiserve(url, arguments)
    }

    static func uiserve(_ url: String, _ arguments: [String]) async throws -> Shell.Result {
        try await uiserve(environment: ["REGISTRY_URL": url], arguments)
    }

    /// Runs the built binary with only `environment` (and PATH) set.
    static func uiserve(environment: [String: String], _ arguments: [String]) async throws -> Shell.Result {
        let binary = Fixtures.uiserveBinary
        try #require(FileManager.default.isExecutableFile(atPath: binary), "build uiserve first (swift build)")
        let variables = environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        return try await Shell.runAsync("/usr/bin/env", ["-i", "PATH=/usr/bin:/bin"] + variables + [binary] + arguments)
    }

    static func json(_ result: Shell.Result) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(result.output.utf8))
    }

    /// A refusal: non-zero exit, nothing on stdout, one line on stderr that contains `text`.
    static func expectRefusal(_ result: Shell.Result, _ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.status != 0, "\(result.output)", sourceLocation: sourceLocation)
        #expect(result.output.isEmpty, sourceLocation: sourceLocation)
        let lines = result.error.split(separator: "\n")
        #expect(lines.count == 1, "\(result.error)", sourceLocation: sourceLocation)
        #expect(result.error.contains(text), "\(result.error)", sourceLocation: sourceLocation)
    }

    @Test(arguments: Backend.allCases)
    func theWholeLifecycle(_ backend: Backend) async throws {
        if backend == .postgres && TestServices.postgresURL == nil { return }
        try await Fixtures.withTemporaryDirectory { dir in
            let url = backend == .sqlite ? "sqlite://\(dir)/registry.sqlite" : try TestServices.makePostgresDatabase()

            // Schema: the dry run prints SQL and changes nothing; migrate applies; again is a no-op.
            let dry = try await Self.uiserve(url, "registry", "migrate", "--dry-run")
            #expect(dry.status == 0)
            #expect(dry.output.contains("CREATE TABLE IF NOT EXISTS extension_execution_log"))
            #expect(dry.output.contains("-- migration 2"))
            #expect(try await Self.uiserve(url, "registry", "migrate", "--dry-run").output == dry.output)
            #expect(try await Self.uiserve(url, "registry", "migrate").output.contains("applied migrations 1, 2"))
            #expect(try await Self.uiserve(url, "registry", "migrate").output.contains("is current"))
            #expect(try await Self.uiserve(url, "registry", "migrate", "--dry-run").output.contains("-- registry schema is current"))

            let registry = try await SQLRegistry.open(url: url)
            let manifest = try ExtensionManifest.parse(Fixtures.data("demo/src/manifest.json"))
            let published = try await registry.publish(manifest: manifest, hash: try FileDigest.contentHash(ofFileAt: Fixtures.demoBundle),
                                                       signature: nil, storageKey: nil, size: 9047)
            try await registry.shutdown()

            // Registry service.
            let list = try #require(try Self.json(try await Self.uiserve(url, "registry", "list", "--json")) as? [[String: Any]])
            #expect(list.map { $0["id"] as? String } == [published.extensionId])
            #expect(try Self.json(try await Self.uiserve(url, "registry", "list", "--publisher", "nobody", "--json")) as? [Any] != nil)
            #expect(try await Self.uiserve(url, "registry", "list").output.contains("acme.hello  1 version"))
            let show = try #require(try Self.json(try await Self.uiserve(url, "registry", "show", "acme.hello", "--json")) as? [String: Any])
            let versions = try #require(show["versions"] as? [[String: Any]])
            #expect(versions.first?["version"] as? String == "1.0.0")
            #expect((versions.first?["bundles"] as? [[String: Any]])?.first?["active"] as? Bool == true)
            Self.expectRefusal(try await Self.uiserve(url, "registry", "show", "acme.nothing"), "unknown extension 'acme.nothing'")

            // Install service.
            let target = ["--tenant", "t1", "--extension", "acme.hello"]
            func install(_ arguments: [String]) async throws -> Shell.Result { try await Self.uiserve(url, ["install"] + arguments) }
            #expect(try await install(["add"] + target + ["--version", "1.0.0"]).status == 0)
            Self.expectRefusal(try await install(["add", "--tenant", "t1", "--extension", "acme.nothing", "--version", "1.0.0"]), "unknown extension")
            Self.expectRefusal(try await install(["add"] + target + ["--version", "9.9.9"]), "9.9.9")
            #expect(try await install(["caps", "grant"] + target + ["storage.kv"]).output.contains("granted: storage.kv"))
            Self.expectRefusal(try await install(["caps", "grant"] + target + ["secrets.read"]), "does not declare capability 'secrets.read'")
            #expect(try await install(["config", "set"] + target + ["region", "eu"]).status == 0)
            Self.expectRefusal(try await install(["config", "set"] + target + ["bad key", "x"]), "config key")
            let shown = try #require(try Self.json(try await install(["show"] + target)) as? [String: Any])
            #expect(shown["config"] as? [String: String] == ["region": "eu"])
            #expect(shown["grantedCapabilities"] as? [String] == ["storage.kv"])
            #expect(try await install(["caps", "revoke"] + target + ["storage.kv"]).output.contains("granted: none"))
            #expect(try await install(["config", "unset"] + target + ["region"]).status == 0)
            #expect(try await install(["disable"] + target).status == 0)
            let listed = try #require(try Self.json(try await install(["list", "--tenant", "t1", "--json"])) as? [[String: Any]])
            #expect(listed.first?["status"] as? String == "disabled")
            #expect(try await install(["enable"] + target).status == 0)
            Self.expectRefusal(try await install(["enable", "--tenant", "t9", "--extension", "acme.hello"]), "tenant t9 has no install")

            // Yank: refused for new installs, recorded as an event.
            #expect(try await Self.uiserve(url, "registry", "yank", "acme.hello", "1.0.0", "--reason", "broken").output.contains("yanked acme.hello@1.0.0"))
            Self.expectRefusal(try await install(["add", "--tenant", "t2", "--extension", "acme.hello", "--version", "1.0.0"]), "was yanked")
            Self.expectRefusal(try await Self.uiserve(url, "registry", "yank", "acme.hello", "3.0.0"), "3.0.0")
            #expect(try await install(["remove"] + target).status == 0)
            Self.expectRefusal(try await install(["remove"] + target), "has no install")

            let after = try #require(try Self.json(try await Self.uiserve(url, "registry", "show", "acme.hello", "--json")) as? [String: Any])
            let events = try #require(after["events"] as? [[String: Any]]).compactMap { $0["type"] as? String }
            #expect(Array(events.reversed()) == ["published", "installed", "capability_granted", "config_changed", "capability_revoked", "config_changed",
                                                 "disabled", "enabled", "yanked", "uninstalled"])
            #expect(try #require(after["events"] as? [[String: Any]]).first?["actor"] as? String != nil)
            #expect((try #require(after["versions"] as? [[String: Any]])).first?["yankedAt"] as? String != nil)
        }
    }
}
