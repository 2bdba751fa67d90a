import ArgumentParser
import BundleIndex

/// `uiserve bundle inspect`: content hash, manifest and every entry of an archive.
struct BundleInspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show a bundle's content hash, manifest and entries."
    )

    @Argument(help: "The bundle archive.")
    var bundle: String

    @Flag(help: "Print JSON instead of text.")
    var json = false

    /// The JSON shape of `inspect --json`.
    struct Report: Encodable {
        struct Entry: Encodable {
            var path: String
            var type: String
            var size: Int64
        }
        var contentHash: String
        var manifest: ExtensionManifest?
        var manifestError: String?
        var entries: [Entry]
    }

    func run() throws {
        let inspection = try BundleInspection.inspect(path: bundle)
        let entries = inspection.entries.map { Report.Entry(path: $0.displayPath, type: $0.kind.name, size: $0.declaredSize) }
        let manifest = try? inspection.manifest.get()
        var manifestError: String? = nil
        if case .failure(let error) = inspection.manifest { manifestError = error.message }
        if json {
            try Terminal.printJSON(Report(contentHash: inspection.contentHash.description, manifest: manifest, manifestError: manifestError, entries: entries))
            return
        }
        print("content hash: \(inspection.contentHash)")
        if let manifest {
            let endpoints = manifest.api?.endpoints.count ?? 0
            print("manifest:     \(BundleIdentity(manifest)) runtime \(manifest.runtime), ui entry \(manifest.uiEntry), \(endpoints) endpoint\(endpoints == 1 ? "" : "s"), capabilities [\(manifest.capabilities.joined(separator: ", "))]")
        } else {
            print("manifest:     invalid: \(manifestError ?? "?")")
        }
        print("entries:      \(entries.count)")
        for entry in entries {
            let size = String(entry.size)
            print("  \(entry.type.padding(toLength: 8, withPad: " ", startingAt: 0)) \(String(repeating: " ", count: max(0, 10 - size.count)))\(size)  \(entry.path)")
        }
    }
}
