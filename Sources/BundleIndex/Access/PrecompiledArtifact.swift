/// A resolved `precompiled/<target>.cwasm`: where it came from and where it was written, checked.
public struct PrecompiledArtifact: Sendable, Equatable {
    /// Where the artifact was found.
    public enum Source: Sendable, Equatable {
        /// Inside the bundle archive (covered by the bundle's signature).
        case bundle
        /// The store object beside the archive, at `key`, with its own signature envelope at
        /// `key + ".sig"` over the artifact's SHA-256 for the same extension identity.
        case sidecar(key: String)
    }

    public var source: Source
    /// The file written (the caller's destination).
    public var path: String
    /// Lowercase hex SHA-256 of the artifact's bytes.
    public var sha256: String
    public var size: Int64
}
