/// The manifest's rules, as a list of one-line problems (empty when valid).
extension ExtensionManifest {
    /// Every rule the manifest breaks, in a fixed order; `parse` reports the first.
    public func problems() -> [String] {
        var problems: [String] = []
        if !Self.isIdentifier(publisher, allowDot: false) {
            problems.append("'publisher' must be 1-64 letters, digits, '-' or '_' (got '\(publisher.prefix(80))')")
        }
        if !Self.isIdentifier(name, allowDot: true) {
            problems.append("'name' must be 1-64 letters, digits, '.', '-' or '_', not starting with '.' (got '\(name.prefix(80))')")
        }
        if SemanticVersion(version) == nil {
            problems.append("'version' must be a semantic version such as 1.2.3 (got '\(version.prefix(80))')")
        }
        if runtime.isEmpty || runtime.count > 128 || runtime.contains(where: { $0.isWhitespace }) {
            problems.append("'runtime' must be a non-empty string without spaces")
        }
        for (index, capability) in capabilities.enumerated()
        where capability.isEmpty || capability.count > 128 || capability.contains(where: { $0.isWhitespace || $0.isNewline }) {
            problems.append("'capabilities[\(index)]' must be a non-empty string without spaces")
        }
        if let ui {
            if ui.type != "iframe" { problems.append("'ui.type' must be \"iframe\" (got '\(ui.type.prefix(40))')") }
            if case .refused(let violation) = EntryPathPolicy().check(ui.entry) {
                problems.append("'ui.entry' is not a safe relative path: \(violation.rawValue)")
            }
        }
        for (index, endpoint) in (api?.endpoints ?? []).enumerated() {
            let at = "'api.endpoints[\(index)]'"
            if !Self.endpointMethods.contains(endpoint.method) {
                problems.append("\(at) method must be one of GET, POST, PUT, PATCH, DELETE (got '\(endpoint.method.prefix(20))')")
            }
            if let problem = Self.endpointPathProblem(endpoint.path) { problems.append("\(at) path \(problem)") }
            if endpoint.handler.isEmpty { problems.append("\(at) handler must not be empty") }
        }
        return problems
    }

    /// Why an endpoint path is invalid, or nil: it starts with `/`, has no `..`, no whitespace or
    /// control characters, and each `:param` segment has a name.
    static func endpointPathProblem(_ path: String) -> String? {
        guard path.hasPrefix("/") else { return "must start with '/'" }
        if path.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7f }) {
            return "must not contain spaces or control characters"
        }
        if path.contains("\\") { return "must not contain a backslash" }
        let segments = path.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        for segment in segments {
            if segment == ".." || segment == "." { return "must not contain '.' or '..' segments" }
            if segment == ":" { return "has a ':' segment without a parameter name" }
        }
        return nil
    }

    static func isIdentifier(_ text: String, allowDot: Bool) -> Bool {
        guard (1...64).contains(text.utf8.count), text.first != "." else { return false }
        return text.unicodeScalars.allSatisfy { scalar in
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9", "-", "_": true
            case ".": allowDot
            default: false
            }
        }
    }
}
