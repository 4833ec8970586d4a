/// An auth provider that can look a user up without their password and say what it found, for
/// `echochat auth test NAME`.
///
/// The plugin reports what its backend knows: where it looked, the entry it found, what a login
/// would make of it. The host adds what only it knows: whether the username is a valid EchoChat
/// username, the account it belongs to (or that none exists yet, or that another auth source
/// owns it, or that an operator disabled it), and the verdict.
///
/// ```swift
/// extension DirectoryAuth: AuthDiagnosing {
///     public func diagnose(username: String) async throws -> AuthDiagnosis {
///         guard let entry = try await directory.find(username) else {
///             return AuthDiagnosis(lines: [.field("result", "no entry found")], canSignIn: false, backendName: "the directory")
///         }
///         return AuthDiagnosis(
///             lines: [.field("entry", entry.dn), .username(entry.uid), .field("groups", entry.groups.joined(separator: ", "))],
///             canSignIn: entry.isEnabled, backendName: "the directory")
///     }
/// }
/// ```
///
/// - Note: Added in EchoPluginAPI 1.4.
public protocol AuthDiagnosing: AuthProvider {
    /// Looks `username` (canonical, as the host would pass it to a login) up the way a login
    /// would, without a password, and describes what was found.
    ///
    /// - Throws: ``AuthError/backendUnavailable(_:)`` when the backend cannot answer; the host
    ///   reports that it did not answer, with the message.
    func diagnose(username: String) async throws -> AuthDiagnosis
}
