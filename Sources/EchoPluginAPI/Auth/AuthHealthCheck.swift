/// An auth provider with a backend to reach (a directory, say) that can check it without anyone's
/// password, for `echochat doctor`.
///
/// ```swift
/// extension DirectoryAuth: AuthHealthCheck {
///     public func checkHealth() async throws -> String {
///         let server = try await bindServiceAccount()
///         return "\(server) accepted the service account"
///     }
/// }
/// ```
///
/// - Note: Added in EchoPluginAPI 1.3.
public protocol AuthHealthCheck: AuthProvider {
    /// Reaches the backend the way a login would (connect, bind the service account, find the base
    /// of the search) and returns a one-line description of what answered; throws ``AuthError``
    /// naming what failed.
    func checkHealth() async throws -> String

    /// What an operator should look at when ``checkHealth()`` fails, in the plugin's own terms
    /// (its configuration keys, a diagnostic command).
    var healthCheckAdvice: String { get }
}

extension AuthHealthCheck {
    public var healthCheckAdvice: String { "check this plugin's settings in plugins.json and that its backend runs" }
}
