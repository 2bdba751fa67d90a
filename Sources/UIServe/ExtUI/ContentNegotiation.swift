import Gateway

/// Chooses a content coding from `Accept-Encoding` (RFC 9110 §12.5.3) among the variants a file
/// has (pure logic): the highest q-value wins, ties go to br, then zstd, then gzip, then identity
/// (identity not listed counts as `*`'s weight, or as the least acceptable coding);
/// `*` covers codings not listed; `identity;q=0` (or `*;q=0` without identity) forbids identity,
/// but when nothing acceptable exists identity is still sent, as nearly every origin does.
public enum ContentNegotiation {
    /// Server preference among equal q-values.
    public static let preference = ["br", "zstd", "gzip", "identity"]

    /// The coding to send: one of `available` (codings other than identity), or "identity".
    public static func choose(acceptEncoding: String?, available: Set<String>) -> String {
        choose(acceptEncoding: acceptEncoding) { available.contains($0) }
    }

    /// The same with availability as a predicate. It runs on every asset request, so it parses the
    /// header in place: no arrays, no dictionary, no lowercased copies.
    public static func choose(acceptEncoding: String?, isAvailable: (String) -> Bool) -> String {
        guard let acceptEncoding else { return "identity" }
        // The weights of the codings that can win (in `preference` order) and of `*`.
        var weights: (Double?, Double?, Double?, Double?) = (nil, nil, nil, nil)
        var star: Double?
        var rest = Substring(acceptEncoding)
        while !rest.isEmpty {
            let comma = rest.firstIndex(of: ",") ?? rest.endIndex
            let item = rest[..<comma]
            rest = comma == rest.endIndex ? "" : rest[rest.index(after: comma)...]
            var parameters = item.drop { $0 != ";" }
            let coding = item[..<parameters.startIndex].trimmingOWS()
            guard !coding.isEmpty else { continue }
            var q = 1.0
            while !parameters.isEmpty {
                parameters = parameters.dropFirst()
                let end = parameters.firstIndex(of: ";") ?? parameters.endIndex
                let parameter = parameters[..<end]
                parameters = parameters[end...]
                if let equals = parameter.firstIndex(of: "="), equalsIgnoringCase(parameter[..<equals].trimmingOWS(), "q") {
                    q = min(1, max(0, Double(parameter[parameter.index(after: equals)...].trimmingOWS()) ?? 0))
                }
            }
            func raise(_ weight: inout Double?) { weight = max(weight ?? 0, q) }
            if coding == "*" { star = q }
            else if equalsIgnoringCase(coding, "br") { raise(&weights.0) }
            else if equalsIgnoringCase(coding, "zstd") { raise(&weights.1) }
            else if equalsIgnoringCase(coding, "gzip") || equalsIgnoringCase(coding, "x-gzip") { raise(&weights.2) }
            else if equalsIgnoringCase(coding, "identity") { raise(&weights.3) }
        }
        // In `preference` order, so ties go to the earlier coding. Unlisted identity is acceptable
        // (unless `*;q=0`) but loses to any coding the client named.
        var best = "identity", bestWeight = -1.0
        func consider(_ coding: String, _ weight: Double) {
            if weight > 0, weight > bestWeight, coding == "identity" || isAvailable(coding) {
                best = coding
                bestWeight = weight
            }
        }
        consider("br", weights.0 ?? star ?? 0)
        consider("zstd", weights.1 ?? star ?? 0)
        consider("gzip", weights.2 ?? star ?? 0)
        consider("identity", weights.3 ?? star ?? 0.001)
        return best
    }

    /// ASCII case-insensitive equality with a lowercase literal.
    private static func equalsIgnoringCase(_ text: Substring, _ lowercase: StaticString) -> Bool {
        let expected = UnsafeBufferPointer(start: lowercase.utf8Start, count: lowercase.utf8CodeUnitCount)
        guard text.utf8.count == expected.count else { return false }
        for (byte, wanted) in zip(text.utf8, expected) {
            let folded: UInt8 = byte >= 0x41 && byte <= 0x5a ? byte | 0x20 : byte
            if folded != wanted { return false }
        }
        return true
    }
}
