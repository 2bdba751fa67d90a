import BundleIndex
import Foundation

/// Paths into the repository's fixtures/ and throwaway directories for tests.
/// `repositoryRoot` is where scripts/ and README.md live.
public enum Fixtures {
    public static let repositoryRoot: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    public static let root: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("fixtures").path

    public static func path(_ relative: String) -> String { root + "/" + relative }

    /// The debug `uiserve` executable `swift build` makes (the tests that run it as a process).
    public static var uiserveBinary: String { repositoryRoot + "/.build/debug/uiserve" }

    public static func data(_ relative: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path(relative))) }

    public static func privateKey(_ name: String) throws -> LibCrypto.Key {
        try LibCrypto.Key.privateKey(pem: data("keys/\(name).pem"), source: name)
    }

    public static func certificates(_ relative: String) throws -> [LibCrypto.Certificate] {
        try PEMDocument(text: String(decoding: data(relative), as: UTF8.self), source: relative).blocks.map {
            try LibCrypto.Certificate(der: $0.der, source: relative)
        }
    }

    public static var demoBundle: String { path("demo/bundle.tar.zst") }
    public static let demoIdentity = BundleIdentity(publisher: "acme", name: "hello", version: "1.0.0")

    /// A fresh empty directory, removed when `body` returns.
    public static func withTemporaryDirectory<T>(_ body: (String) throws -> T) throws -> T {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("uiserve-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        return try body(dir)
    }

    /// The async form of `withTemporaryDirectory`.
    public static func withTemporaryDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("uiserve-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        return try await body(dir)
    }
}
