import Foundation
import ArgumentParser
import BundleIndex

/// `uiserve registry …`: the registry service for operators: schema, extensions, versions, yanks
/// (on the database of `REGISTRY_URL`).
struct RegistryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "registry", abstract: "Manage the registry database.",
                                                    subcommands: [Migrate.self, List.self, Show.self, Yank.self])

    /// `uiserve registry migrate`: creates or upgrades the schema; running it again changes nothing.
    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create or upgrade the registry schema (idempotent).")

        @Flag(help: "Print the SQL of the pending migrations instead of applying them.")
        var dryRun = false

        func run() async throws {
            let url = try Configuration.registryURL()
            if dryRun {
                let pending = try await RegistryCommand.withRegistry(migrate: false) { try await $0.pendingMigrations() }
                if pending.isEmpty { print("-- registry schema is current (\(url))") }
                for migration in pending {
                    print("-- migration \(migration.version): \(migration.name)")
                    for statement in migration.statements { print(statement + ";") }
                }
                return
            }
            let applied = try await RegistryCommand.withRegistry(migrate: false) { try await $0.migrate() }
            print(applied.isEmpty ? "registry schema is current (\(url))" : "applied migrations \(applied.map(String.init).joined(separator: ", ")) to \(url)")
        }
    }

    /// `uiserve registry list`: the published extensions.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List published extensions.")

        @Option(help: "Only this publisher's extensions.")
        var publisher: String?

        @Flag(help: "Print JSON.")
        var json = false

        func run() async throws {
            let extensions = try await RegistryCommand.withRegistry { try await $0.listExtensions(publisher: publisher) }
            if json { return try Terminal.printJSON(extensions) }
            for item in extensions {
                print("\(item.publisher).\(item.name)  \(item.versions) version\(item.versions == 1 ? "" : "s")  \(item.id)")
            }
        }
    }

    /// `uiserve registry show`: one extension with its versions, bundles and latest events.
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show an extension: versions (content hash, key id, size, created, active) and events.")

        @Argument(help: "The extension: registry id or publisher.name.")
        var `extension`: String

        @Flag(help: "Print JSON.")
        var json = false

        func run() async throws {
            let detail = try await RegistryCommand.withRegistry { registry in
                guard let record = try await registry.extensionRecord(matching: self.extension),
                    let detail = try await registry.extensionDetail(record)
                else { throw BundleIndexError(.notFound, "unknown extension '\(self.extension)'") }
                return detail
            }
            if json { return try Terminal.printJSON(detail) }
            print("\(detail.publisher).\(detail.name)  \(detail.id)  created \(detail.createdAt)")
            for version in detail.versions {
                print("  \(version.version)\(version.yankedAt.map { "  YANKED \($0)" } ?? "")  capabilities: \(version.capabilities.joined(separator: ", "))")
                for bundle in version.bundles {
                    let keys = bundle.signatureKeyIDs.isEmpty ? "unsigned or no key id" : "key \(bundle.signatureKeyIDs.joined(separator: ","))"
                    print("    \(bundle.active ? "*" : " ") \(bundle.contentHash)  \(bundle.sizeBytes.map { "\($0) bytes" } ?? "size unknown")  \(keys)  \(bundle.createdAt)")
                }
            }
            for event in detail.events.prefix(10) {
                print("  event \(event.createdAt) \(event.type) by \(event.actor)\(event.tenantID.map { " tenant \($0)" } ?? "")")
            }
        }
    }

    /// `uiserve registry yank`: withdraws a version (no new installs, its bundles stop being served).
    struct Yank: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Yank a version: refuse new installs and stop serving its bundles.")

        @Argument(help: "The extension: registry id or publisher.name.")
        var `extension`: String

        @Argument(help: "The version to yank.")
        var version: String

        @Option(help: "Why (recorded in the event).")
        var reason: String?

        func run() async throws {
            let (record, changed) = try await RegistryCommand.withRegistry { registry in
                guard let record = try await registry.extensionRecord(matching: self.extension) else {
                    throw BundleIndexError(.notFound, "unknown extension '\(self.extension)'")
                }
                return (record, try await registry.yank(extensionID: record.id, version: version, actor: Terminal.actor, reason: reason))
            }
            print(changed ? "yanked \(record.qualifiedName)@\(version)" : "\(record.qualifiedName)@\(version) was already yanked")
        }
    }

    /// Opens the registry of `REGISTRY_URL` (migrated first unless `migrate` is false), runs `body`
    /// and closes it whatever happened.
    static func withRegistry<T>(migrate: Bool = true, _ body: (SQLRegistry) async throws -> T) async throws -> T {
        let registry = try await SQLRegistry.open(url: try Configuration.registryURL())
        do {
            if migrate { try await registry.migrate() }
            let result = try await body(registry)
            try await registry.shutdown()
            return result
        } catch {
            try? await registry.shutdown()
            throw error
        }
    }
}

extension Configuration {
    /// `REGISTRY_URL` alone, for commands that need no trust bundle.
    static func registryURL(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        environment["REGISTRY_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? "sqlite://.uiserve/registry.sqlite"
    }
}
