import ArgumentParser
import BundleIndex
import Foundation

/// `uiserve bundle extract`: one top-level subtree (`dist/`, `ui/`, …) of a bundle into a new
/// directory, under the same extraction rules as the server's `ui/` (any hostile entry refuses the
/// whole bundle and writes nothing). The bundle is a local archive (its signature checked under
/// `SIGNING_POLICY` like `bundle publish`) or a published one, `<extension>@<version>` or
/// `<extension>@sha256:<hex>`, fetched from the store and verified like the server does.
struct BundleExtractCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "extract", abstract: "Extract one top-level directory of a verified bundle.")

    @Argument(help: "A bundle archive, or a published bundle: <extension>@<version> or <extension>@sha256:<hex>.")
    var bundle: String

    @Option(help: "The top-level directory to extract, e.g. dist/.")
    var prefix: String

    @Option(name: .shortAndLong, help: "The output directory (must not exist).")
    var output: String

    @Option(help: "The DSSE envelope of a local archive (default: bundle.sig beside it).")
    var sig: String?

    func run() async throws {
        let config = try Configuration()
        guard !FileManager.default.fileExists(atPath: output) else {
            throw BundleIndexError(.alreadyExists, "\(output): already exists (the output directory must be new)")
        }
        let result: SafeExtractor.Result
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: bundle, isDirectory: &isDirectory), !isDirectory.boolValue {
            let inspection = try BundleInspection.inspect(path: bundle)
            _ = try BundleCommand.checkSignature(of: bundle, hash: inspection.contentHash, manifest: try inspection.manifest.get(), sig: sig, config: config)
            result = try SafeExtractor(limits: config.limits).extract(archive: bundle, prefix: try BundleAccess.checkedPrefix(prefix), into: output)
        } else {
            result = try await extractPublished(config)
        }
        let bytes = result.files.values.reduce(Int64(0)) { $0 + $1.size }
        print("extracted \(result.files.count) files (\(bytes) bytes) of \(BundleIdentity(result.manifest)) \(prefix) into \(output)")
    }

    /// Resolves `<extension>@<version|hash>` in the registry and extracts through `BundleAccess`.
    private func extractPublished(_ config: Configuration) async throws -> SafeExtractor.Result {
        guard let at = bundle.lastIndex(of: "@"), at != bundle.startIndex else {
            throw BundleIndexError(.notFound, "\(bundle): no such file, and not <extension>@<version> or <extension>@sha256:<hex>")
        }
        let name = String(bundle[..<at]), selector = String(bundle[bundle.index(after: at)...])
        let record = try await RegistryCommand.withRegistry { registry -> BundleRecord in
            guard let ext = try await registry.extensionRecord(matching: name) else { throw BundleIndexError(.notFound, "unknown extension '\(name)'") }
            if let hash = try? ContentHash.parse(selector) {
                guard let record = try await registry.bundleRecord(extensionID: ext.id, hash: hash) else {
                    throw BundleIndexError(.notFound, "\(hash) is not a published bundle of \(ext.qualifiedName)")
                }
                return record
            }
            guard let version = try await registry.extensionDetail(ext)?.versions.first(where: { $0.version == selector }),
                let record = try await registry.activeBundle(versionID: version.id)
            else { throw BundleIndexError(.notFound, "\(ext.qualifiedName)@\(selector) is not published (or was yanked)") }
            return record
        }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("uiserve-extract-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        var settings = BundleAccess.Configuration(cache: config.cacheConfiguration)
        settings.scratch = scratch
        let access = try BundleAccess(configuration: settings, store: config.makeStore(), trust: config.loadTrust())
        return try await access.extractSubtree(record, prefix: prefix, into: output)
    }
}
