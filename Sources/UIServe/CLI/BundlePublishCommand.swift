import ArgumentParser
import BundleIndex
import Foundation

/// `uiserve bundle publish`: verifies a bundle and its signature, uploads both to the store under
/// the content-addressed key (never overwriting), and records registry, version and bundle rows.
/// Publishing the same bundle again changes nothing and prints the same ids.
struct BundlePublishCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "publish", abstract: "Verify, upload and register a bundle (idempotent).")

    @Option(help: "The DSSE envelope (default: bundle.sig beside the archive).")
    var sig: String?

    @Argument(help: "The bundle archive.")
    var bundle: String

    @Flag(help: "Print {\"extensionId\", \"versionId\", \"contentHash\"} as JSON.")
    var json = false

    func run() async throws {
        let config = try Configuration()
        let inspection = try BundleInspection.inspect(path: bundle)
        let manifest = try inspection.manifest.get()
        let hash = inspection.contentHash
        let sigPath = sig ?? BundleCommand.sidecarPath(for: bundle)
        let envelopeText = try BundleCommand.checkSignature(of: bundle, hash: hash, manifest: manifest, sig: sig, config: config)
        // Refuse what the server would refuse, before anything is uploaded.
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("uiserve-publish-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        _ = try SafeExtractor(limits: config.limits).extract(archive: bundle, into: scratch)

        let store = try config.makeStore()
        let registry = try await SQLRegistry.open(url: config.registryURL)
        try await registry.migrate()
        let extensionID = try await registry.extensionRecord(matching: manifest.qualifiedName)?.id ?? UUID().uuidString.lowercased()
        let key = try config.keyTemplate.archiveKey(hash: hash, extension: extensionID)
        try await putOnce(store, key: key, file: bundle)
        if envelopeText != nil {
            try await putOnce(store, key: BundleKeyTemplate.signatureKey(besides: key), file: sigPath)
        }
        let published = try await registry.publish(manifest: manifest, hash: hash, signature: envelopeText, storageKey: key,
                                                   size: Int64(inspection.entries.isEmpty ? 0 : (try FileManager.default.attributesOfItem(atPath: bundle)[.size] as? NSNumber)?.int64Value ?? 0),
                                                   newExtensionID: extensionID, actor: Terminal.actor)
        try await registry.shutdown()
        if json {
            try Terminal.printJSON(published)
        } else {
            print("published \(BundleIdentity(manifest)) \(hash) as extension \(published.extensionId), version \(published.versionId) (key \(key))")
        }
    }

    /// Uploads unless the key already holds an object (content-addressed: same key, same bytes).
    private func putOnce(_ store: any BundleStore, key: String, file: String) async throws {
        do {
            try await store.put(key: key, from: file)
        } catch let error as BundleIndexError where error.code == .alreadyExists {
            return
        }
    }
}
