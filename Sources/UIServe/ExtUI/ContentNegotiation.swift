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
        guard let acceptEncoding else { return "identity" }
        var weights: [String: Double] = [:]
        var star: Double?
        for item in acceptEncoding.split(separator: ",") {
            let parts = item.split(separator: ";").map { $0.trimmingOWS().lowercased() }
            guard let coding = parts.first, !coding.isEmpty else { continue }
            var q = 1.0
            for parameter in parts.dropFirst() {
                let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingOWS() }
                if pair.count == 2, pair[0] == "q" { q = min(1, max(0, Double(pair[1]) ?? 0)) }
            }
            let name = coding == "x-gzip" ? "gzip" : coding
            if name == "*" { star = q } else { weights[name] = max(weights[name] ?? 0, q) }
        }
        func weight(_ coding: String) -> Double {
            if let explicit = weights[coding] { return explicit }
            // Unlisted identity is acceptable (unless `*;q=0`) but loses to any coding the client named.
            if coding == "identity" { return star ?? 0.001 }
            return star ?? 0
        }
        var best = "identity", bestWeight = -1.0
        for coding in preference where coding == "identity" || available.contains(coding) {
            let w = weight(coding)
            if w > 0 && w > bestWeight {
                best = coding
                bestWeight = w
            }
        }
        return best
    }
}
