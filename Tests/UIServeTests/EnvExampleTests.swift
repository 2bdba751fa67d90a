import Foundation
import TestSupport
import Testing

@testable import UIServe

/// `.env.example` lists every environment variable the code reads: the ones `Configuration`
/// declares and every name the sources read by literal.
@Suite struct EnvExampleTests {
    static func listed() throws -> Set<String> {
        let text = try String(contentsOfFile: Fixtures.repositoryRoot + "/.env.example", encoding: .utf8)
        return Set(text.split(separator: "\n").compactMap { line -> String? in
            guard !line.hasPrefix("#"), let equals = line.firstIndex(of: "=") else { return nil }
            return String(line[..<equals])
        })
    }

    /// Names read in the sources: `value("X")`, `integer("X", …)`, `environment["X"]`.
    static func read() throws -> Set<String> {
        let pattern = try NSRegularExpression(pattern: #"(?:value|integer)\("([A-Z0-9_]+)"|environment\["([A-Z0-9_]+)"\]"#)
        var names: Set<String> = []
        let root = Fixtures.repositoryRoot + "/Sources"
        for path in FileManager.default.enumerator(atPath: root)?.compactMap({ $0 as? String }) ?? [] where path.hasSuffix(".swift") {
            let text = try String(contentsOfFile: root + "/" + path, encoding: .utf8)
            for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                for group in 1...2 {
                    if let range = Range(match.range(at: group), in: text) { names.insert(String(text[range])) }
                }
            }
        }
        return names
    }

    @Test func everyVariableIsListed() throws {
        let listed = try Self.listed()
        let read = try Self.read().union(Configuration.variables)
        #expect(read.count > 30, "the scan found the variables")
        #expect(read.subtracting(listed).isEmpty, "missing from .env.example: \(read.subtracting(listed).sorted())")
        #expect(listed.subtracting(read).isEmpty, ".env.example lists variables nothing reads: \(listed.subtracting(read).sorted())")
    }

    /// The limits printed at start-up are the defaults `.env.example` documents, and every limit
    /// of the configuration is among them.
    @Test func startUpLimitsAreTheDocumentedDefaults() throws {
        let text = try String(contentsOfFile: Fixtures.repositoryRoot + "/.env.example", encoding: .utf8)
        var documented: [String: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            if let equals = line.firstIndex(of: "=") { documented[String(line[..<equals])] = String(line[line.index(after: equals)...]) }
        }
        let summary = try Configuration(environment: ["SIGNING_POLICY": "off"]).limitsSummary
        #expect(summary.hasPrefix("limits: "))
        let printed = Dictionary(uniqueKeysWithValues: summary.dropFirst("limits: ".count).split(separator: " ").compactMap { pair -> (String, String)? in
            guard let equals = pair.firstIndex(of: "=") else { return nil }
            return (String(pair[..<equals]), String(pair[pair.index(after: equals)...]))
        })
        for name in ["EXT_CACHE_MAX_BYTES", "EXT_BUNDLE_MAX_BYTES", "EXT_BUNDLE_MAX_ENTRIES", "EXT_BUNDLE_MAX_EXPANDED_BYTES", "EXT_STATIC_MAX_FILE_BYTES",
                     "EXT_GATEWAY_MAX_BODY_BYTES", "EXT_GATEWAY_MAX_RESPONSE_BYTES", "EXT_GATEWAY_TIMEOUT_MS"] {
            #expect(printed[name] != nil, "\(name) is not printed")
        }
        for (name, value) in printed {
            let expected = documented[name].map { $0.isEmpty ? "none" : $0 }
            #expect(expected == value, "\(name): printed \(value), .env.example says \(documented[name] ?? "nothing")")
        }
        let custom = try Configuration(environment: ["SIGNING_POLICY": "off", "EXT_GATEWAY_RATE_LIMIT": "50/s burst 100", "EXT_GATEWAY_DAILY_QUOTA": "7"]).limitsSummary
        #expect(custom.contains("EXT_GATEWAY_RATE_LIMIT='50/s burst 100'"))
        #expect(custom.contains("EXT_GATEWAY_DAILY_QUOTA=7"))
    }
}
