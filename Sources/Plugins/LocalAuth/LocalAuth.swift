public import EchoPluginAPI
import Foundation
import Logging

/// `auth.local`: accounts whose Argon2id password hash EchoChat keeps in its own storage.
public struct LocalAuth: AuthProvider {
    public static let name = "local"
    public static let apiVersion = PluginAPIVersion(1, 4)

    let configuration: Configuration
    let accounts: any AccountStore
    let blocking: any BlockingExecutor
    let logger: Logger
    /// Verified against when the user does not exist, so that an unknown username costs as much as a wrong password.
    let decoyHash: String

    public var allowsRegistration: Bool { configuration.allowRegistration }

    public init(configuration: Configuration, context: PluginContext) async throws {
        guard let accounts = context.accounts else {
            throw PluginError.missingContext(
                "auth.\(Self.name) keeps its users in the host's storage, and its context has none (PluginContext.accounts)")
        }
        self.configuration = configuration
        self.accounts = accounts
        self.blocking = context.blocking
        self.logger = context.logger
        let parameters = configuration.passwordHash
        self.decoyHash = try await context.blocking.run {
            try Argon2id.hash(UUID().uuidString, parameters: parameters)
        }
    }

    public func authenticate(_ attempt: LoginAttempt) async throws -> AuthOutcome {
        guard let user = try await accounts.user(named: attempt.username), user.authSource == Self.name else {
            _ = try await verify(attempt.password, against: decoyHash)
            return .unknownUser
        }
        guard let credential = try await accounts.credential(of: user.id, kind: Credential.passwordKind) else {
            _ = try await verify(attempt.password, against: decoyHash)
            return .invalidCredentials
        }
        guard try await verify(attempt.password, against: credential.secret) else { return .invalidCredentials }
        if Argon2id.parameters(of: credential.secret) != configuration.passwordHash {
            await rehash(attempt.password, of: user)
        }
        return .authenticated(AuthenticatedIdentity(username: user.username))
    }

    public func register(_ registration: Registration) async throws -> User {
        try configuration.checkPolicy(registration.password)
        let parameters = configuration.passwordHash
        let password = registration.password
        let hash = try await blocking.run { try Argon2id.hash(password, parameters: parameters) }
        let now = Date()
        return try await accounts.createUser(
            NewUser(
                username: registration.username, displayName: registration.displayName, authSource: Self.name,
                isAdmin: registration.isAdmin, createdAt: now),
            credential: Credential(kind: Credential.passwordKind, secret: hash, updatedAt: now)
        )
    }

    private func verify(_ password: String, against encoded: String) async throws -> Bool {
        try await blocking.run { Argon2id.verify(password, encoded: encoded) }
    }

    /// Re-hashes with the configured parameters after they changed; a failure keeps the old hash.
    private func rehash(_ password: String, of user: User) async {
        let parameters = configuration.passwordHash
        do {
            let hash = try await blocking.run { try Argon2id.hash(password, parameters: parameters) }
            try await accounts.setCredential(Credential(kind: Credential.passwordKind, secret: hash, updatedAt: Date()), of: user.id)
            logger.info("password hash upgraded", metadata: ["user_id": "\(user.id)", "parameters": "\(parameters)"])
        } catch {
            logger.warning("password hash upgrade failed", metadata: ["user_id": "\(user.id)", "error": "\(error)"])
        }
    }
}
