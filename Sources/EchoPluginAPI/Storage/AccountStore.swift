/// Users and their credentials.
///
/// Usernames passed in are already canonical (case-folded by the host); implementations compare
/// them exactly and enforce their uniqueness.
///
/// ```swift
/// let user = try await storage.createUser(
///     NewUser(username: "alice", displayName: "Alice", authSource: "local", createdAt: .now),
///     credential: Credential(kind: Credential.passwordKind, secret: hash, updatedAt: .now)
/// )
/// ```
public protocol AccountStore: Sendable {
    /// The user with this identifier, or `nil`.
    func user(id: UserID) async throws -> User?

    /// The users with these identifiers that exist, in any order.
    func users(ids: Set<UserID>) async throws -> [User]

    /// The user with this canonical username, or `nil`.
    func user(named username: String) async throws -> User?

    /// Creates a user, and its first credential in the same transaction.
    ///
    /// - Throws: ``StorageError/conflict(_:)`` when the username is taken.
    func createUser(_ user: NewUser, credential: Credential?) async throws -> User

    /// Applies `update` to a user and returns the result.
    ///
    /// - Throws: ``StorageError/notFound(_:)`` for an unknown user.
    func updateUser(_ id: UserID, _ update: UserUpdate) async throws -> User

    /// The user's credential of `kind`, or `nil`.
    func credential(of userID: UserID, kind: String) async throws -> Credential?

    /// Stores a credential, replacing any of the same kind.
    func setCredential(_ credential: Credential, of userID: UserID) async throws

    /// The accounts owned by `authSource`, in id order, `limit` at a time after `after`: what a
    /// directory sync walks through.
    ///
    /// - Note: Added in EchoPluginAPI 1.2. The default throws ``StorageError/unsupported(_:)``,
    ///   which turns the host's directory sync off with a logged reason.
    func users(authSource: String, after: UserID?, limit: Int) async throws -> [User]
}

extension AccountStore {
    /// Throws ``StorageError/unsupported(_:)``.
    public func users(authSource: String, after: UserID?, limit: Int) async throws -> [User] {
        throw StorageError.unsupported("this storage cannot list accounts by auth source")
    }
}
