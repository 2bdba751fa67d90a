/// A Semantic Versioning 2.0.0 version (`MAJOR.MINOR.PATCH[-pre][+build]`), parsed strictly:
/// no leading zeros in numeric parts, non-empty dot-separated identifiers of [0-9A-Za-z-].
public struct SemanticVersion: Hashable, Sendable, CustomStringConvertible {
    public let major: UInt64
    public let minor: UInt64
    public let patch: UInt64
    public let prerelease: [String]
    public let build: [String]

    public init?(_ text: String) {
        var core = Substring(text)
        var build: [String] = []
        var prerelease: [String] = []
        if let plus = core.firstIndex(of: "+") {
            build = core[core.index(after: plus)...].split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            core = core[..<plus]
            guard build.allSatisfy(Self.isIdentifier) else { return nil }
        }
        if let dash = core.firstIndex(of: "-") {
            prerelease = core[core.index(after: dash)...].split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            core = core[..<dash]
            guard prerelease.allSatisfy({ Self.isIdentifier($0) && !(Self.isNumeric($0) && $0.count > 1 && $0.hasPrefix("0")) }) else { return nil }
        }
        let numbers = core.split(separator: ".", omittingEmptySubsequences: false)
        guard numbers.count == 3 else { return nil }
        var parsed: [UInt64] = []
        for number in numbers {
            guard Self.isNumeric(number), number == "0" || !number.hasPrefix("0"), let value = UInt64(number) else { return nil }
            parsed.append(value)
        }
        (major, minor, patch) = (parsed[0], parsed[1], parsed[2])
        self.prerelease = prerelease
        self.build = build
    }

    public var description: String {
        var text = "\(major).\(minor).\(patch)"
        if !prerelease.isEmpty { text += "-" + prerelease.joined(separator: ".") }
        if !build.isEmpty { text += "+" + build.joined(separator: ".") }
        return text
    }

    private static func isIdentifier(_ text: some StringProtocol) -> Bool {
        !text.isEmpty && text.unicodeScalars.allSatisfy { ("0"..."9").contains($0) || ("a"..."z").contains($0) || ("A"..."Z").contains($0) || $0 == "-" }
    }

    private static func isNumeric(_ text: some StringProtocol) -> Bool {
        !text.isEmpty && text.unicodeScalars.allSatisfy { ("0"..."9").contains($0) }
    }
}
