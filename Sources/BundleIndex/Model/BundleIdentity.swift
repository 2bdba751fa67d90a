/// Which extension version a bundle is: publisher, name and version, as the manifest, the signed
/// statement and the registry each state it. A bundle is served only when all three agree.
public struct BundleIdentity: Hashable, Sendable, CustomStringConvertible {
    public var publisher: String
    public var name: String
    public var version: String

    public init(publisher: String, name: String, version: String) {
        self.publisher = publisher
        self.name = name
        self.version = version
    }

    /// The identity a manifest declares.
    public init(_ manifest: ExtensionManifest) {
        self.init(publisher: manifest.publisher, name: manifest.name, version: manifest.version)
    }

    /// Publisher and name compare case-insensitively (lookups by `publisher.name` do); versions exactly.
    public func matches(_ other: BundleIdentity) -> Bool {
        publisher.lowercased() == other.publisher.lowercased() && name.lowercased() == other.name.lowercased()
            && version == other.version
    }

    /// `publisher.name@version`.
    public var description: String { "\(publisher).\(name)@\(version)" }
}
