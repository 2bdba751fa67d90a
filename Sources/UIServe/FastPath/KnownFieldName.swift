/// A set of header fields a reader of requests looks for, each case's raw value its name in
/// lowercase (`AnswerMemo.Field`, `RequestFraming`'s framing fields).
protocol KnownFieldName: RawRepresentable<String>, CaseIterable {}

extension KnownFieldName {
    /// The field called `name`, compared without case (HTTP field names are case-insensitive), on
    /// the bytes as they came: no lowercased copy. Nil for a field not in the set.
    static func named<Name: Collection<UInt8>>(_ name: Name) -> Self? {
        allCases.first { field in
            let lowercase = field.rawValue.utf8
            return name.count == lowercase.count
                && zip(name, lowercase).allSatisfy { byte, lower in (byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte) == lower }
        }
    }
}
