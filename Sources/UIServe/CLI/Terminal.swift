import Foundation

/// Where CLI output goes: results to stdout, one-line problems to stderr.
enum Terminal {
    static func error(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// Pretty, sorted JSON on stdout.
    static func printJSON(_ value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }
}

extension Terminal {
    /// Who made a registry change, for `extension_event.actor`: `cli:<user name of the process>`.
    static var actor: String {
        guard let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name else { return "cli:uid-\(geteuid())" }
        return "cli:" + String(cString: name)
    }
}
