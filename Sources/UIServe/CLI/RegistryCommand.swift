import Foundation
import ArgumentParser
import BundleIndex

/// `uiserve registry …`: operator commands on the registry database (`REGISTRY_URL`).
struct RegistryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "registry", abstract: "Manage the registry database.", subcommands: [Migrate.self])

    /// `uiserve registry migrate`: creates or upgrades the schema; running it again changes nothing.
    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create or upgrade the registry schema (idempotent).")

        func run() async throws {
            let url = try Configuration.registryURL()
            let registry = try await SQLRegistry.open(url: url)
            let applied = try await registry.migrate()
            try await registry.shutdown()
            print(applied.isEmpty ? "registry schema is current (\(url))" : "applied migrations \(applied.map(String.init).joined(separator: ", ")) to \(url)")
        }
    }
}

extension Configuration {
    /// `REGISTRY_URL` alone, for commands that need no trust bundle.
    static func registryURL(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        environment["REGISTRY_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? "sqlite://.uiserve/registry.sqlite"
    }
}
