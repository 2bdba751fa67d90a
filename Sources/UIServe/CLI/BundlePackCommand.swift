import ArgumentParser
import BundleIndex

/// `uiserve bundle pack <dir> -o bundle.tar.zst`: a deterministic archive of a bundle folder.
struct BundlePackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pack",
        abstract: "Pack a folder (manifest.json + ui/) into a deterministic bundle.tar.zst."
    )

    @Argument(help: "The bundle folder: manifest.json, ui/, optionally dist/, precompiled/, sbom.spdx.json.")
    var folder: String

    @Option(name: .shortAndLong, help: "Where to write the archive.")
    var output: String

    func run() throws {
        let result = try BundlePacker().pack(folder: folder, to: output)
        print("packed \(output): \(result.fileCount) files, \(result.manifest.qualifiedName) \(result.manifest.version)")
        print(result.contentHash)
    }
}
