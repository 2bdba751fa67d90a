import Gateway

/// The `Range` header of RFC 9110 §14 against a representation of `length` bytes (pure logic).
///
/// Single ranges (`0-99`, open-ended `100-`, suffix `-100` = the last 100 bytes) and range sets.
/// An unparsable or non-`bytes` header is ignored (a 200 with the whole body); a valid header whose
/// ranges all start past the end is unsatisfiable (416). Range sets that overlap, that add up to
/// more than the representation, or that are very many are answered with the whole body, which is
/// what a sane client would have wanted and what keeps multipart responses from amplifying.
public enum ByteRange: Equatable, Sendable {
    /// Serve the whole representation (no, ignored, or not worth honouring Range).
    case whole
    /// Serve these ranges (one → 206 with Content-Range; several → multipart/byteranges).
    case ranges([ClosedRange<Int64>])
    /// 416 with `Content-Range: bytes */<length>`.
    case unsatisfiable

    /// More ranges than this are answered with the whole body.
    public static let maxRanges = 16

    public static func evaluate(_ header: String, length: Int64) -> ByteRange {
        let trimmed = header.trimmingOWS()
        guard let equals = trimmed.firstIndex(of: "="), trimmed[..<equals].trimmingOWS().lowercased() == "bytes" else { return .whole }
        var ranges: [ClosedRange<Int64>] = []
        var sawSpec = false
        for rawSpec in trimmed[trimmed.index(after: equals)...].split(separator: ",", omittingEmptySubsequences: true) {
            let spec = rawSpec.trimmingOWS()
            if spec.isEmpty { continue }
            sawSpec = true
            guard let dash = spec.firstIndex(of: "-") else { return .whole }
            let first = spec[..<dash], last = spec[spec.index(after: dash)...]
            if first.isEmpty {
                // Suffix range: the last N bytes.
                guard let suffix = digits(last) else { return .whole }
                if suffix > 0 && length > 0 { ranges.append(max(0, length - suffix)...(length - 1)) }
            } else {
                guard let start = digits(first) else { return .whole }
                var end = Int64.max
                if !last.isEmpty {
                    guard let parsed = digits(last), parsed >= start else { return .whole }
                    end = parsed
                }
                if start < length { ranges.append(start...min(end, length - 1)) }
            }
        }
        guard sawSpec else { return .whole }
        if ranges.isEmpty { return .unsatisfiable }
        if ranges.count == 1 { return .ranges(ranges) }
        if ranges.count > maxRanges { return .whole }
        let total = ranges.reduce(Int64(0)) { $0 + ($1.upperBound - $1.lowerBound + 1) }
        if total > length { return .whole }
        let sorted = ranges.sorted { $0.lowerBound < $1.lowerBound }
        for (a, b) in zip(sorted, sorted.dropFirst()) where b.lowerBound <= a.upperBound { return .whole }
        return .ranges(ranges)
    }

    /// 1*DIGIT as a non-negative Int64; nil for anything else (signs, spaces, overflow).
    private static func digits(_ text: Substring) -> Int64? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        return Int64(text)
    }
}

