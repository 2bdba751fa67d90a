import ArgumentParser
import BundleIndex
import Foundation

/// `uiserve install …`: a tenant's installs of extensions, in the registry (`REGISTRY_URL`).
struct InstallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "install", abstract: "Add or remove a tenant's install of an extension.",
                                                    subcommands: [Add.self, Remove.self, Enable.self, Disable.self, Show.self, List.self])

    /// Who and what an install command is about.
    struct Target: ParsableArguments {
        @Option(help: "The tenant id.")
        var tenant: String

        @Option(help: "The extension: registry id or publisher.name.")
        var `extension`: String

        func validate() throws {
            guard (1...200).contains(tenant.utf8.count), !tenant.contains(where: { $0.isWhitespace || $0.isNewline }) else {
                throw ValidationError("--tenant must be 1-200 characters without spaces")
            }
        }

        /// Opens the registry, resolves the extension (or fails naming it), runs `body`, and closes
        /// the registry whatever happened.
        func withResolved<T>(_ body: (SQLRegistry, ExtensionRecord) async throws -> T) async throws -> T {
            let registry = try await SQLRegistry.open(url: try Configuration.registryURL())
            do {
                try await registry.migrate()
                guard let record = try await registry.extensionRecord(matching: self.extension) else {
                    throw BundleIndexError(.notFound, "unknown extension '\(self.extension)' (publish it first)")
                }
                let result = try await body(registry, record)
                try await registry.shutdown()
                return result
            } catch {
                try? await registry.shutdown()
                throw error
            }
        }
    }

    /// `uiserve install add`: installs (or re-installs) a version for a tenant.
    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Install a published version of an extension for a tenant.")

        @OptionGroup var target: Target

        @Option(help: "The semantic version to install.")
        var version: String

        @Option(name: .customLong("config"), parsing: .upToNextOption, help: "Configuration entries, key=value.")
        var config: [String] = []

        @Flag(help: "Install disabled.")
        var disabled = false

        @Flag(help: "Print the install as JSON.")
        var json = false

        func run() async throws {
            var entries: [String: String] = [:]
            for item in config {
                guard let equals = item.firstIndex(of: "="), equals != item.startIndex else {
                    throw ValidationError("--config '\(item)' must be key=value")
                }
                entries[String(item[..<equals])] = String(item[item.index(after: equals)...])
            }
            let (install, record) = try await target.withResolved { registry, record in
                (try await registry.addInstall(tenantID: target.tenant, extensionID: record.id, version: version, config: entries, enabled: !disabled), record)
            }
            if json {
                try Terminal.printJSON(install)
            } else {
                print("installed \(record.qualifiedName)@\(version) for tenant \(target.tenant) (\(install.status), install \(install.id))")
            }
        }
    }

    /// `uiserve install remove`: removes a tenant's install.
    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a tenant's install of an extension.")

        @OptionGroup var target: Target

        func run() async throws {
            let record = try await target.withResolved { registry, record in
                guard try await registry.removeInstall(tenantID: target.tenant, extensionID: record.id) else {
                    throw BundleIndexError(.notFound, "tenant \(target.tenant) has no install of \(record.qualifiedName)")
                }
                return record
            }
            print("removed \(record.qualifiedName) for tenant \(target.tenant)")
        }
    }

    /// `uiserve install enable`: turns a tenant's install on.
    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a tenant's install.")
        @OptionGroup var target: Target

        func run() async throws { try await InstallCommand.setEnabled(target, true) }
    }

    /// `uiserve install disable`: turns a tenant's install off (the gateway answers 404 for it).
    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable a tenant's install.")
        @OptionGroup var target: Target

        func run() async throws { try await InstallCommand.setEnabled(target, false) }
    }

    static func setEnabled(_ target: Target, _ enabled: Bool) async throws {
        let record = try await target.withResolved { registry, record in
            guard try await registry.setInstallEnabled(tenantID: target.tenant, extensionID: record.id, enabled: enabled) else {
                throw BundleIndexError(.notFound, "tenant \(target.tenant) has no install of \(record.qualifiedName)")
            }
            return record
        }
        print("\(enabled ? "enabled" : "disabled") \(record.qualifiedName) for tenant \(target.tenant)")
    }

    /// `uiserve install show`: one install as JSON.
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a tenant's install of an extension (JSON).")
        @OptionGroup var target: Target

        func run() async throws {
            let install = try await target.withResolved { registry, record in
                guard let install = try await registry.anyInstall(tenantID: target.tenant, extensionID: record.id) else {
                    throw BundleIndexError(.notFound, "tenant \(target.tenant) has no install of \(record.qualifiedName)")
                }
                return install
            }
            try Terminal.printJSON(install)
        }
    }

    /// `uiserve install list`: every install, or one tenant's.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List installs (all, or --tenant's).")

        @Option(help: "Only this tenant's installs.")
        var tenant: String?

        @Flag(help: "Print JSON.")
        var json = false

        func run() async throws {
            let registry = try await SQLRegistry.open(url: try Configuration.registryURL())
            let installs: [InstallRecord]
            do {
                try await registry.migrate()
                installs = try await registry.installs(tenantID: tenant)
                try await registry.shutdown()
            } catch {
                try? await registry.shutdown()
                throw error
            }
            if json { return try Terminal.printJSON(installs) }
            for install in installs {
                print("\(install.tenantID)  \(install.extensionID)  \(install.version)  \(install.status)  \(install.id)")
            }
        }
    }
}
