/// Turns (tenant, extension, content hash) into store keys, from a template such as the default
/// `sha256/{hex}/bundle.tar.zst` or `tenants/{tenant}/extensions/{extension}/sha256/{hex}/bundle.tar.zst`.
/// The signature sidecar is `bundle.sig` beside the archive.
public struct BundleKeyTemplate: Sendable, Equatable {
    public static let defaultTemplate = "sha256/{hex}/bundle.tar.zst"

    public let template: String

    /// Validates the template: it must contain `{hex}`, and only the known placeholders.
    public init(_ template: String = BundleKeyTemplate.defaultTemplate) throws {
        guard template.contains("{hex}") else {
            throw BundleIndexError(.configuration, "BUNDLE_KEY_TEMPLATE '\(template)' must contain {hex}")
        }
        var rest = template
        for placeholder in ["{hex}", "{tenant}", "{extension}"] { rest = rest.replacingOccurrences(of: placeholder, with: "x") }
        guard !rest.contains("{"), !rest.contains("}") else {
            throw BundleIndexError(.configuration, "BUNDLE_KEY_TEMPLATE '\(template)' has an unknown placeholder (known: {hex}, {tenant}, {extension})")
        }
        guard case .allowed = EntryPathPolicy().check(rest) else {
            throw BundleIndexError(.configuration, "BUNDLE_KEY_TEMPLATE '\(template)' is not a safe relative key")
        }
        self.template = template
    }

    /// The archive key. `tenant` and `extension` must already be safe key segments.
    public func archiveKey(hash: ContentHash, tenant: String? = nil, extension ext: String? = nil) throws -> String {
        var key = template.replacingOccurrences(of: "{hex}", with: hash.hex)
        for (placeholder, value) in [("{tenant}", tenant), ("{extension}", ext)] where key.contains(placeholder) {
            guard let value, Self.isSafeSegment(value) else {
                throw BundleIndexError(.configuration, "key template needs a safe \(placeholder) value (got '\(value ?? "nothing")')")
            }
            key = key.replacingOccurrences(of: placeholder, with: value)
        }
        return key
    }

    /// The signature sidecar key beside an archive key.
    public static func signatureKey(besides archiveKey: String) -> String {
        guard let slash = archiveKey.lastIndex(of: "/") else { return "bundle.sig" }
        return archiveKey[...slash] + "bundle.sig"
    }

    static func isSafeSegment(_ value: String) -> Bool {
        !value.isEmpty && value.count <= 128 && value != "." && value != ".."
            && value.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0) }
    }
}
