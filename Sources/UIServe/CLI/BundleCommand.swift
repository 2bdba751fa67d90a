import ArgumentParser

/// `uiserve bundle …`: the publisher's tools for making and checking signed bundles.
struct BundleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bundle",
        abstract: "Pack, sign, verify and inspect extension bundles.",
        subcommands: [BundlePackCommand.self, BundleSignCommand.self, BundleVerifyCommand.self, BundleInspectCommand.self, BundlePublishCommand.self]
    )

    /// The detached signature path beside an archive: `x/bundle.tar.zst` → `x/bundle.sig`.
    static func sidecarPath(for bundle: String) -> String {
        for suffix in [".tar.zst", ".tar.gz", ".tgz", ".tar"] where bundle.hasSuffix(suffix) {
            return String(bundle.dropLast(suffix.count)) + ".sig"
        }
        return bundle + ".sig"
    }
}
