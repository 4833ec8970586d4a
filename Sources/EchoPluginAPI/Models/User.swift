public import Foundation

/// An EchoChat account, whichever auth source it came from.
public struct User: Hashable, Codable, Sendable {
    /// The storage-assigned identifier.
    public var id: UserID
    /// The canonical username: case-folded, unique across all auth sources, used as the LiveKit identity.
    public var username: String
    /// The name shown to others.
    public var displayName: String
    /// The e-mail address, when the auth source knows one.
    public var email: String?
    /// The auth plugin that owns this account (`local`, `ldap`); only that plugin may log it in.
    public var authSource: String
    /// Whether the user is a server administrator.
    public var isAdmin: Bool
    /// Whether an operator or a directory sync disabled the account; disabled users cannot log in.
    public var isDisabled: Bool
    /// When the account was created.
    public var createdAt: Date
    /// When the account was last changed.
    public var updatedAt: Date

    /// Creates a user value.
    public init(
        id: UserID, username: String, displayName: String, email: String? = nil, authSource: String,
        isAdmin: Bool = false, isDisabled: Bool = false, createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.username = username
        self.displayName = displayName
        self.email = email
        self.authSource = authSource
        self.isAdmin = isAdmin
        self.isDisabled = isDisabled
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// The fields of an account to be created; storage assigns the identifier.
public struct NewUser: Hashable, Sendable {
    /// The canonical username.
    public var username: String
    /// The name shown to others.
    public var displayName: String
    /// The e-mail address, if known.
    public var email: String?
    /// The auth plugin that owns the account.
    public var authSource: String
    /// Whether the user starts as a server administrator.
    public var isAdmin: Bool
    /// The creation time.
    public var createdAt: Date

    /// Creates the fields of a new account.
    public init(
        username: String, displayName: String, email: String? = nil, authSource: String, isAdmin: Bool = false,
        createdAt: Date
    ) {
        self.username = username
        self.displayName = displayName
        self.email = email
        self.authSource = authSource
        self.isAdmin = isAdmin
        self.createdAt = createdAt
    }
}

/// A partial update of an account: `nil` leaves a field as it is.
public struct UserUpdate: Hashable, Sendable {
    /// A new display name.
    public var displayName: String?
    /// A new e-mail address; `.some(nil)` clears it.
    public var email: String??
    /// A new administrator flag.
    public var isAdmin: Bool?
    /// A new disabled flag.
    public var isDisabled: Bool?

    /// Creates an update.
    public init(displayName: String? = nil, email: String?? = nil, isAdmin: Bool? = nil, isDisabled: Bool? = nil) {
        self.displayName = displayName
        self.email = email
        self.isAdmin = isAdmin
        self.isDisabled = isDisabled
    }
}

/// A secret an auth plugin keeps for a user, such as a password hash.
///
/// Storage keeps credentials opaque: it never interprets ``secret``.
public struct Credential: Hashable, Sendable {
    /// What the secret is, chosen by the auth plugin (`password`).
    public var kind: String
    /// The stored secret, e.g. an encoded Argon2id hash. Never a plain password.
    public var secret: String
    /// When it was last set.
    public var updatedAt: Date

    /// Creates a credential.
    public init(kind: String, secret: String, updatedAt: Date) {
        self.kind = kind
        self.secret = secret
        self.updatedAt = updatedAt
    }

    /// The kind used for password hashes.
    public static let passwordKind = "password"
}
