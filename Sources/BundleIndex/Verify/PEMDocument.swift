import Foundation

/// The blocks of a PEM file (`-----BEGIN LABEL-----` … `-----END LABEL-----`), decoded to DER.
/// Parsed in Swift so errors can name the block, and so text between blocks is ignored as RFC 7468 allows.
public struct PEMDocument: Sendable {
    /// One block: its label (`PUBLIC KEY`, `CERTIFICATE`, …) and DER bytes.
    public struct Block: Sendable, Equatable {
        public var label: String
        public var der: [UInt8]
    }

    public var blocks: [Block]

    /// Parses every block of `text`; `source` names the file in errors.
    public init(text: String, source: String) throws {
        var blocks: [Block] = []
        var label: String? = nil
        var body = ""
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if let open = label {
                if line == "-----END \(open)-----" {
                    guard let der = Data(base64Encoded: body) else {
                        throw BundleIndexError(.invalidKey, "\(source): block \(blocks.count + 1) (\(open)) is not valid base64")
                    }
                    blocks.append(Block(label: open, der: Array(der)))
                    label = nil
                    body = ""
                } else if line.hasPrefix("-----") {
                    throw BundleIndexError(.invalidKey, "\(source): block \(blocks.count + 1) (\(open)) has no END line")
                } else if !line.contains(":") {
                    body += line
                }
            } else if line.hasPrefix("-----BEGIN "), line.hasSuffix("-----") {
                label = String(line.dropFirst(11).dropLast(5))
            }
        }
        if let open = label {
            throw BundleIndexError(.invalidKey, "\(source): block \(blocks.count + 1) (\(open)) has no END line")
        }
        self.blocks = blocks
    }
}
