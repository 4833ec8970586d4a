/// One line of an ``AuthDiagnosis``: a labelled value, printed with the values lined up.
///
/// ```swift
/// let lines: [DiagnosisLine] = [
///     .field("entry", "uid=bob,ou=people,dc=example,dc=org"),  // entry:         uid=bob,…
///     .username("bob"),                                        // username:      bob (EchoChat username bob)
///     .field("groups", "cn=support,ou=groups,dc=example,dc=org"),
///     .continuation("cn=staff,ou=groups,dc=example,dc=org"),   // under the value above
/// ]
/// ```
///
/// - Note: Added in EchoPluginAPI 1.4.
public struct DiagnosisLine: Hashable, Sendable, CustomStringConvertible {
    private enum Kind: Hashable, Sendable {
        case field(String), continuation, item, username
    }

    private let kind: Kind
    /// The value: the text after the label.
    public let value: String

    private init(_ kind: Kind, _ value: String) {
        self.kind = kind
        self.value = value
    }

    /// `label: value`, the value starting in the column where every short label's value starts.
    public static func field(_ label: String, _ value: String) -> DiagnosisLine { .init(.field(label), value) }
    /// A further value of the line above, in the values' column.
    public static func continuation(_ value: String) -> DiagnosisLine { .init(.continuation, value) }
    /// One of a list under the line above, indented by two spaces.
    public static func item(_ value: String) -> DiagnosisLine { .init(.item, value) }
    /// The username a login would sign in, as the backend spells it; the host adds whether it is
    /// a valid EchoChat username.
    public static func username(_ username: String) -> DiagnosisLine { .init(.username, username) }

    /// The label of a field or username line; `nil` for continuations and items.
    public var label: String? {
        switch kind {
        case .field(let label): label
        case .username: "username"
        case .continuation, .item: nil
        }
    }

    /// The username of a ``username(_:)`` line.
    public var username: String? {
        kind == .username ? value : nil
    }

    /// The line as printed.
    public var description: String {
        switch kind {
        case .continuation: String(repeating: " ", count: Self.valueColumn) + value
        case .item: "  " + value
        case .field, .username:
            Self.padded((label ?? "") + ":") + value
        }
    }

    /// Where values start: after the longest usual label, `display name: `.
    static let valueColumn = 15

    private static func padded(_ head: String) -> String {
        head + String(repeating: " ", count: max(1, valueColumn - head.count))
    }
}
