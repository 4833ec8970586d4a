public import Foundation

/// Everything the host keeps in storage. Auth plugins receive the part they need, ``AccountStore``,
/// through ``PluginContext/accounts``.
public protocol Storage: AccountStore, SessionStore, RoomStore, MessageStore, VoiceStore {
    /// Throws ``StorageError/unavailable(_:)`` when the backend cannot serve requests.
    /// The host's `/health` endpoint answers 503 while it throws.
    func checkHealth() async throws

    /// A session with its user, or `nil` when either is missing: the check behind every signed-in
    /// request, so a backend does well to answer it in one round trip. The default implementation
    /// reads them one after the other.
    func sessionWithUser(id: SessionID) async throws -> SessionWithUser?

    /// A room by name (regardless of case) with one user's standing in it at `now` (voice
    /// restrictions in force then), or `nil` when there is no such room: the check behind every
    /// room request, so a backend does well to answer it in one round trip. The default
    /// implementation reads the parts one after the other.
    func roomStanding(named name: String, of userID: UserID, at now: Date) async throws -> RoomStanding?

    /// ``sessionWithUser(id:)`` and ``roomStanding(named:of:at:)`` together: the two reads behind
    /// every signed-in room request (the user id comes from the verified access token; the host
    /// checks it against the session's). The default implementation makes the two calls.
    func sessionAndStanding(session: SessionID, user: UserID, room: String, at now: Date) async throws -> SessionAndStanding
}

/// What ``Storage/sessionAndStanding(session:user:room:at:)`` read.
public struct SessionAndStanding: Hashable, Sendable {
    /// The session with its user, or `nil` when either is missing.
    public var session: SessionWithUser?
    /// The room with the user's standing in it, or `nil` when there is no such room.
    public var standing: RoomStanding?

    /// Creates a context.
    public init(session: SessionWithUser?, standing: RoomStanding?) {
        self.session = session
        self.standing = standing
    }
}

extension Storage {
    public func sessionAndStanding(session: SessionID, user: UserID, room: String, at now: Date) async throws -> SessionAndStanding {
        SessionAndStanding(session: try await sessionWithUser(id: session), standing: try await roomStanding(named: room, of: user, at: now))
    }

    public func sessionWithUser(id: SessionID) async throws -> SessionWithUser? {
        guard let session = try await session(id: id), let user = try await user(id: session.userID) else { return nil }
        return SessionWithUser(session: session, user: user)
    }

    public func roomStanding(named name: String, of userID: UserID, at now: Date) async throws -> RoomStanding? {
        guard let room = try await room(named: name) else { return nil }
        return RoomStanding(
            room: room,
            membership: try await membership(of: userID, in: room.id),
            isBanned: try await ban(of: userID, in: room.id) != nil,
            hasInvite: try await hasInvite(userID, to: room.id),
            ownerCount: try await memberCount(of: room.id, role: .owner),
            voiceRestrictions: try await voiceRestrictions(of: userID, in: room.id, at: now))
    }
}

/// A session and the user it belongs to.
public struct SessionWithUser: Hashable, Sendable {
    /// The session.
    public var session: Session
    /// Its user.
    public var user: User

    /// Creates the pair.
    public init(session: Session, user: User) {
        self.session = session
        self.user = user
    }
}

/// A room and one user's standing in it: what the host's permission checks need to know.
public struct RoomStanding: Hashable, Sendable {
    /// The room.
    public var room: Room
    /// The user's membership, if they are a member.
    public var membership: Membership?
    /// Whether the user is banned from the room.
    public var isBanned: Bool
    /// Whether the user holds an invite to the room.
    public var hasInvite: Bool
    /// How many owners the room has.
    public var ownerCount: Int
    /// The voice restrictions on the user in force at the time asked about.
    public var voiceRestrictions: Set<VoiceRestriction>

    /// Creates a standing.
    public init(
        room: Room, membership: Membership?, isBanned: Bool, hasInvite: Bool, ownerCount: Int,
        voiceRestrictions: Set<VoiceRestriction> = []
    ) {
        self.room = room
        self.membership = membership
        self.isBanned = isBanned
        self.hasInvite = hasInvite
        self.ownerCount = ownerCount
        self.voiceRestrictions = voiceRestrictions
    }
}

/// A plugin filling the `storage` slot.
///
/// A storage plugin owns its schema: it runs its versioned migrations while it is constructed,
/// and refuses to start on a database a newer release has migrated
/// (``StorageError/incompatibleSchema(_:)``).
///
/// ```swift
/// public struct MyStorage: StoragePlugin {
///     public static let name = "mydb"
///     public static let apiVersion = PluginAPIVersion(1, 0)
///     public struct Configuration: PluginConfiguration { var url: String }
///     public init(configuration: Configuration, context: PluginContext) async throws { … }
///     …
/// }
/// registry.register(storage: MyStorage.self)
/// ```
public protocol StoragePlugin: Plugin, Storage {}
