/// An error an auth plugin reports to the host.
public struct AuthError: Error, Hashable, Sendable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case backendUnavailable, unsupported, rejectedPassword
    }

    private let code: Code
    /// A description; shown to users for ``rejectedPassword(_:)``, logged otherwise. No secrets.
    public let message: String

    private init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The backend (a directory server) cannot answer; the host answers 503.
    public static func backendUnavailable(_ message: String) -> AuthError { .init(.backendUnavailable, message) }
    /// The plugin does not offer this capability.
    public static func unsupported(_ message: String) -> AuthError { .init(.unsupported, message) }
    /// The password does not meet the plugin's policy; `message` says why, for the user.
    public static func rejectedPassword(_ message: String) -> AuthError { .init(.rejectedPassword, message) }

    /// Whether this is ``backendUnavailable(_:)``.
    public var isBackendUnavailable: Bool { code == .backendUnavailable }
    /// Whether this is ``unsupported(_:)``.
    public var isUnsupported: Bool { code == .unsupported }
    /// Whether this is ``rejectedPassword(_:)``.
    public var isRejectedPassword: Bool { code == .rejectedPassword }

    public var description: String { "auth: \(message)" }
}
