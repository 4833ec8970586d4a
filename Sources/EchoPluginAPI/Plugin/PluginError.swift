/// A plugin cannot start because the host did not give it something it needs.
///
/// Errors about what a user configured are ``ConfigIssue``s instead; this one says the host (or a
/// test) built the plugin's ``PluginContext`` without a part the plugin depends on.
///
/// ```swift
/// guard let accounts = context.accounts else {
///     throw PluginError.missingContext("auth.local keeps its users in the host's storage, and the host gave it none")
/// }
/// ```
///
/// - Note: Added in EchoPluginAPI 1.4.
public struct PluginError: Error, Hashable, Sendable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case missingContext
    }

    private let code: Code
    /// What is missing, and which plugin needs it.
    public let message: String

    private init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The ``PluginContext`` lacks something the plugin needs (``PluginContext/accounts``, say).
    public static func missingContext(_ message: String) -> PluginError { .init(.missingContext, message) }

    /// Whether this is ``missingContext(_:)``.
    public var isMissingContext: Bool { code == .missingContext }

    public var description: String { message }
}
