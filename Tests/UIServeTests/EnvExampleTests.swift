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
}
