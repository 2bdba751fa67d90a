/// Whether bundles must be signed: `required` (the default whenever a trust bundle is configured),
/// `optional` (unsigned bundles are served; a signature that is present must still verify), `off`.
public enum SignaturePolicy: String, Sendable, CaseIterable {
    case required, optional, off

    /// Parses `SIGNING_POLICY`; nil for anything else.
    public init?(parsing text: String) { self.init(rawValue: text.lowercased()) }
}
