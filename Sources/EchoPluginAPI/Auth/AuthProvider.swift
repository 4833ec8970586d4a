/// A plugin in the `auth` chain: verifies a username and password and says who the user is.
///
/// The host runs the chain in `plugins.json` order. For a username that already has an account,
/// only the plugin named by the account's ``User/authSource`` is asked, so a username owned by one
/// source can never be taken over through another. For a new username, each plugin is asked in
/// turn until one does not answer ``AuthOutcome/unknownUser``; the host then creates the account
/// with that plugin as its source, from the returned ``AuthenticatedIdentity``.
///
/// ```swift
/// public func authenticate(_ attempt: LoginAttempt) async throws -> AuthOutcome {
///     guard let entry = try await directory.find(attempt.username) else { return .unknownUser }
///     guard try await directory.bind(entry.dn, attempt.password) else { return .invalidCredentials }
///     return .authenticated(AuthenticatedIdentity(username: entry.uid, displayName: entry.cn))
/// }
/// ```
public protocol AuthProvider: Plugin {
    /// Checks a password. Take about the same time whether or not the user exists.
    ///
    /// - Throws: ``AuthError/backendUnavailable(_:)`` when the backend cannot answer.
    func authenticate(_ attempt: LoginAttempt) async throws -> AuthOutcome

    /// Whether the host may offer self-service registration through this plugin.
    var allowsRegistration: Bool { get }

    /// Creates an account with a password. The host calls it for `POST /api/auth/register` (only
    /// when ``allowsRegistration`` is true) and for operators' `echochat user create` (always).
    ///
    /// - Throws: ``AuthError/unsupported(_:)`` when the plugin cannot create accounts,
    ///   ``AuthError/rejectedPassword(_:)`` for a password its policy refuses,
    ///   ``StorageError/conflict(_:)`` when the username is taken.
    func register(_ registration: Registration) async throws -> User

    /// Whether this plugin's backend knows `username` even though EchoChat has no account for it
    /// yet (a directory user who never logged in). The host refuses to let another source
    /// register such a name.
    func knowsUsername(_ username: String) async throws -> Bool

    /// What the backend says about an existing account now, asked without a password: whether
    /// the user is still there and allowed in, and who they are. The host asks on every session
    /// refresh and during a directory sync; ``AccountStanding/gone`` ends the user's sessions.
    ///
    /// Return `nil` when the backend keeps no account list of its own to ask (the default).
    ///
    /// - Throws: ``AuthError/backendUnavailable(_:)`` when the backend cannot answer; the host
    ///   then changes nothing.
    /// - Note: Added in EchoPluginAPI 1.2.
    func standing(of username: String) async throws -> AccountStanding?

    /// How often the host re-checks every account this plugin owns with ``standing(of:)``, or
    /// `nil` for never (the default).
    ///
    /// - Note: Added in EchoPluginAPI 1.2.
    var directorySync: DirectorySyncPolicy? { get }
}

extension AuthProvider {
    /// `false`: registration is an optional capability.
    public var allowsRegistration: Bool { false }

    /// Throws ``AuthError/unsupported(_:)``.
    public func register(_ registration: Registration) async throws -> User {
        throw AuthError.unsupported("auth.\(Self.name) cannot create accounts")
    }

    /// `false`.
    public func knowsUsername(_ username: String) async throws -> Bool { false }

    /// `nil`: nothing to re-check.
    public func standing(of username: String) async throws -> AccountStanding? { nil }

    /// `nil`: no periodic sync.
    public var directorySync: DirectorySyncPolicy? { nil }
}

/// What an auth backend says about an existing account, without its password.
///
/// - Note: Added in EchoPluginAPI 1.2.
public enum AccountStanding: Sendable, Equatable {
    /// The user is there and allowed in; this is who they are now.
    case active(AuthenticatedIdentity)
    /// The user was removed, disabled, or is no longer allowed in.
    case gone
}

/// How the host runs a plugin's periodic directory sync.
///
/// A sync asks ``AuthProvider/standing(of:)`` for every account the plugin owns, and only when
/// every answer came back applies them: refreshed profiles and roles for active users, ended
/// sessions and closed connections for gone ones. A sync in which any question failed changes
/// nobody, and one in which every account came back gone changes nobody either unless
/// ``allowsRemovingEveryone`` is set: an empty answer from a broken directory must not lock a
/// whole organization out.
///
/// - Note: Added in EchoPluginAPI 1.2.
public struct DirectorySyncPolicy: Sendable, Equatable {
    /// The time between syncs.
    public var interval: Duration
    /// Whether a sync may apply an answer in which every account is gone.
    public var allowsRemovingEveryone: Bool

    /// Creates a policy.
    public init(interval: Duration, allowsRemovingEveryone: Bool = false) {
        self.interval = interval
        self.allowsRemovingEveryone = allowsRemovingEveryone
    }
}

/// A room role that membership in a directory group gives.
///
/// - Note: Added in EchoPluginAPI 1.2.
public struct RoomGrant: Hashable, Sendable {
    /// The room's name.
    public var room: String
    /// The role the user gets there.
    public var role: RoomRole

    /// Creates a grant.
    public init(room: String, role: RoomRole) {
        self.room = room
        self.role = role
    }
}

/// A login attempt as the host hands it to an auth plugin.
public struct LoginAttempt: Sendable {
    /// The canonical (case-folded) username.
    public var username: String
    /// The password as typed; never empty (the host refuses empty passwords before asking).
    public var password: String
    /// The client's address, for the plugin's own logs.
    public var clientAddress: String?

    /// Creates an attempt.
    public init(username: String, password: String, clientAddress: String? = nil) {
        self.username = username
        self.password = password
        self.clientAddress = clientAddress
    }
}

/// A request to create an account with a password.
public struct Registration: Sendable {
    /// The canonical username.
    public var username: String
    /// The chosen password.
    public var password: String
    /// The name shown to others.
    public var displayName: String
    /// Whether the account starts as a server administrator (operators' `user create --admin`).
    public var isAdmin: Bool

    /// Creates a registration.
    public init(username: String, password: String, displayName: String, isAdmin: Bool = false) {
        self.username = username
        self.password = password
        self.displayName = displayName
        self.isAdmin = isAdmin
    }
}

/// What an auth plugin answered.
public enum AuthOutcome: Sendable {
    /// The password is right; this is who the user is.
    case authenticated(AuthenticatedIdentity)
    /// The user is this plugin's, and the password is wrong.
    case invalidCredentials
    /// This plugin does not know the user; the host asks the next one in the chain.
    case unknownUser
}

/// Who a user is, according to the auth plugin that verified them.
public struct AuthenticatedIdentity: Hashable, Sendable {
    /// The canonical username as the source spells it.
    public var username: String
    /// The display name, or `nil` to keep the stored one.
    public var displayName: String?
    /// The e-mail address, if known.
    public var email: String?
    /// Group names or DNs the source reports, for role mapping.
    public var groups: [String]
    /// Whether the source makes this user a server administrator; `nil` leaves the stored flag alone.
    public var isAdmin: Bool?
    /// The room roles the source grants this user.
    ///
    /// - Note: Added in EchoPluginAPI 1.2.
    public var roomGrants: [RoomGrant]
    /// The rooms whose membership the source decides for its users: in these, a user gets the
    /// role of their best grant; without one, they leave a private room and fall back to
    /// member in a public one. Owners and bans are left alone.
    ///
    /// - Note: Added in EchoPluginAPI 1.2.
    public var managedRooms: Set<String>

    /// Creates an identity.
    public init(
        username: String, displayName: String? = nil, email: String? = nil, groups: [String] = [], isAdmin: Bool? = nil,
        roomGrants: [RoomGrant] = [], managedRooms: Set<String> = []
    ) {
        self.username = username
        self.displayName = displayName
        self.email = email
        self.groups = groups
        self.isAdmin = isAdmin
        self.roomGrants = roomGrants
        self.managedRooms = managedRooms
    }
}
