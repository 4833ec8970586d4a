/// What an ``AuthDiagnosing`` plugin found for a username.
///
/// - Note: Added in EchoPluginAPI 1.4.
public struct AuthDiagnosis: Hashable, Sendable {
    /// What the backend found, in the order to show it. A ``DiagnosisLine/username(_:)`` line
    /// says whom a login would sign in; without one, the host adds no account part and the
    /// verdict is that the user cannot sign in.
    public var lines: [DiagnosisLine]
    /// Whether the backend lets the user in with the right password (group rules, an enabled
    /// entry). The host also requires a valid username and an account that is not disabled.
    public var canSignIn: Bool
    /// How a sentence names the backend, as in "an account of another auth source: LDAP cannot sign it in".
    public var backendName: String

    /// Creates a diagnosis.
    public init(lines: [DiagnosisLine], canSignIn: Bool, backendName: String) {
        self.lines = lines
        self.canSignIn = canSignIn
        self.backendName = backendName
    }

    /// The username of the first ``DiagnosisLine/username(_:)`` line: whom a login would sign in.
    public var username: String? {
        lines.lazy.compactMap(\.username).first
    }
}
