import ArgumentParser
import BundleIndex
import Foundation

/// `uiserve install …`: a tenant's installs of extensions, in the registry (`REGISTRY_URL`).
struct InstallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "install", abstract: "Add or remove a tenant's install of an extension.",
                                                    subcommands: [Add.self, Remove.self, Enable.self, Disable.self, Show.self, List.self,
                                                                  ConfigGroup.self, Caps.self])

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
            try await RegistryCommand.withRegistry { registry in
                guard let record = try await registry.extensionRecord(matching: self.extension) else {
                    throw BundleIndexError(.notFound, "unknown extension '\(self.extension)' (publish it first)")
                }
                return try await body(registry, record)
            }
        }

        /// The error for "this tenant has no install of that extension".
        func noInstall(_ record: ExtensionRecord) -> BundleIndexError {
            BundleIndexError(.notFound, "tenant \(tenant) has no install of \(record.qualifiedName)")
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
                (try await registry.addInstall(tenantID: target.tenant, extensionID: record.id, version: version, config: entries, enabled: !disabled,
                                                      actor: Terminal.actor), record)
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
                guard try await registry.removeInstall(tenantID: target.tenant, extensionID: record.id, actor: Terminal.actor) else {
                    throw target.noInstall(record)
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
            guard try await registry.setInstallEnabled(tenantID: target.tenant, extensionID: record.id, enabled: enabled, actor: Terminal.actor) else {
                throw target.noInstall(record)
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
                    throw target.noInstall(record)
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
            let installs = try await RegistryCommand.withRegistry { try await $0.installs(tenantID: tenant) }
            if json { return try Terminal.printJSON(installs) }
            for install in installs {
                print("\(install.tenantID)  \(install.extensionID)  \(install.version)  \(install.status)  \(install.id)")
            }
        }
    }

    /// `uiserve install config set|unset`: one configuration entry of an install (sent to the Runner
    /// in every call's context).
    struct ConfigGroup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "config", abstract: "Set or remove an install's configuration entry.",
                                                        subcommands: [Set.self, Unset.self])

        struct Set: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Set one configuration entry.")
            @OptionGroup var target: Target
            @Argument(help: "The key.") var key: String
            @Argument(help: "The value.") var value: String

            func validate() throws { try InstallCommand.validateKey(key) }
            func run() async throws { try await InstallCommand.setConfig(target, key, value) }
        }

        struct Unset: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Remove one configuration entry.")
            @OptionGroup var target: Target
            @Argument(help: "The key.") var key: String

            func validate() throws { try InstallCommand.validateKey(key) }
            func run() async throws { try await InstallCommand.setConfig(target, key, nil) }
        }
    }

    static func validateKey(_ key: String) throws {
        guard (1...128).contains(key.utf8.count), key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }) else {
            throw ValidationError("config key '\(key)' must be 1-128 of letters, digits, '.', '_', '-'")
        }
    }

    static func setConfig(_ target: Target, _ key: String, _ value: String?) async throws {
        let record = try await target.withResolved { registry, record in
            guard try await registry.setInstallConfig(tenantID: target.tenant, extensionID: record.id, key: key, value: value, actor: Terminal.actor) != nil else {
                throw target.noInstall(record)
            }
            return record
        }
        print(value == nil ? "removed config \(key) of \(record.qualifiedName) for tenant \(target.tenant)"
                           : "set config \(key) of \(record.qualifiedName) for tenant \(target.tenant)")
    }

    /// `uiserve install caps grant|revoke`: capabilities granted to an install; a grant must be one the
    /// installed version declares.
    struct Caps: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Grant or revoke a capability the installed version declares.",
                                                        subcommands: [Grant.self, Revoke.self])

        struct Grant: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Grant a capability.")
            @OptionGroup var target: Target
            @Argument(help: "The capability, as the manifest declares it.") var capability: String

            func run() async throws { try await Caps.change(target, capability, granted: true) }
        }

        struct Revoke: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Revoke a capability.")
            @OptionGroup var target: Target
            @Argument(help: "The capability.") var capability: String

            func run() async throws { try await Caps.change(target, capability, granted: false) }
        }

        static func change(_ target: Target, _ capability: String, granted: Bool) async throws {
            let (record, install) = try await target.withResolved { registry, record in
                guard let install = try await registry.setCapability(tenantID: target.tenant, extensionID: record.id, capability: capability,
                                                                     granted: granted, actor: Terminal.actor) else {
                    throw target.noInstall(record)
                }
                return (record, install)
            }
            let list = install.grantedCapabilities.isEmpty ? "none" : install.grantedCapabilities.joined(separator: ", ")
            print("\(granted ? "granted" : "revoked") \(capability) on \(record.qualifiedName) for tenant \(target.tenant) (granted: \(list))")
        }
    }
}
