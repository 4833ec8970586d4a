public import Foundation

/// A moderation action to record in the room's audit log, in the same transaction as the change.
public struct AuditRecord: Hashable, Sendable {
    /// Who acted.
    public var actorID: UserID
    /// What they did (`ban`, `set_role`, …).
    public var action: String
    /// Whom it was done to.
    public var targetID: UserID?
    /// A reason or the new value.
    public var detail: String?
    /// When.
    public var createdAt: Date

    /// Creates a record.
    public init(actorID: UserID, action: String, targetID: UserID? = nil, detail: String? = nil, createdAt: Date) {
        self.actorID = actorID
        self.action = action
        self.targetID = targetID
        self.detail = detail
        self.createdAt = createdAt
    }
}

/// A room as listed for one user: the room and their role in it, if any.
public struct RoomListing: Hashable, Sendable {
    /// The room.
    public var room: Room
    /// The user's role, or `nil` when they are not a member.
    public var role: RoomRole?

    /// Creates a listing.
    public init(room: Room, role: RoomRole?) {
        self.room = room
        self.role = role
    }
}

/// A member with their account.
public struct RoomMember: Hashable, Sendable {
    /// The account.
    public var user: User
    /// The membership.
    public var membership: Membership

    /// Creates a member value.
    public init(user: User, membership: Membership) {
        self.user = user
        self.membership = membership
    }
}

/// Rooms, memberships, invites, bans and the moderation audit log.
///
/// Room names are unique regardless of letter case. Every method that takes an ``AuditRecord``
/// writes it in the same transaction as the change, so the log never misses an action that happened.
public protocol RoomStore: Sendable {
    /// Creates a room with `owner` as its first member and owner, in one transaction.
    ///
    /// - Throws: ``StorageError/conflict(_:)`` when a room of that name (in any letter case) exists.
    func createRoom(_ room: NewRoom, owner: UserID) async throws -> Room

    /// The room with this name, compared without regard to letter case, or `nil`.
    func room(named name: String) async throws -> Room?

    /// The room with this identifier, or `nil`.
    func room(id: RoomID) async throws -> Room?

    /// Public rooms and every room `userID` is a member of, with their role, ordered by name.
    func rooms(visibleTo userID: UserID) async throws -> [RoomListing]

    /// Every room, with `userID`'s role (for server administrators), ordered by name.
    func allRooms(for userID: UserID) async throws -> [RoomListing]

    /// Applies `update` and records `audit`.
    func updateRoom(_ id: RoomID, _ update: RoomUpdate, audit: AuditRecord?) async throws -> Room

    /// Deletes a room with its memberships, invites, bans, messages and audit log.
    func deleteRoom(_ id: RoomID) async throws

    /// `userID`'s membership of the room, or `nil`.
    func membership(of userID: UserID, in roomID: RoomID) async throws -> Membership?

    /// The room's members with their accounts, highest role first, then by username.
    func members(of roomID: RoomID) async throws -> [RoomMember]

    /// How many members hold `role`.
    func memberCount(of roomID: RoomID, role: RoomRole) async throws -> Int

    /// The rooms `userID` belongs to.
    func roomIDs(of userID: UserID) async throws -> [RoomID]

    /// Adds a member and consumes any invite they had. Joining twice keeps the first membership.
    ///
    /// - Throws: ``StorageError/conflict(_:)`` when the user is banned from the room, checked in
    ///   the same transaction as the insert.
    func addMember(_ membership: Membership) async throws -> Membership

    /// Changes a member's role.
    ///
    /// - Throws: ``StorageError/notFound(_:)`` when they are not a member.
    func setRole(_ role: RoomRole, of userID: UserID, in roomID: RoomID, audit: AuditRecord?) async throws -> Membership

    /// Makes `newOwner` (a member) the owner and `previousOwner` an admin, in one transaction.
    func transferOwnership(of roomID: RoomID, from previousOwner: UserID, to newOwner: UserID, audit: AuditRecord?) async throws

    /// Removes a membership; returns whether there was one.
    func removeMember(_ userID: UserID, from roomID: RoomID, audit: AuditRecord?) async throws -> Bool

    /// Records an invite to a private room (idempotent).
    func invite(_ userID: UserID, to roomID: RoomID, by inviter: UserID, at date: Date, audit: AuditRecord?) async throws

    /// Whether `userID` holds an unused invite.
    func hasInvite(_ userID: UserID, to roomID: RoomID) async throws -> Bool

    /// Bans a user: stores the ban and removes their membership and invite, in one transaction.
    func ban(_ ban: RoomBan, audit: AuditRecord?) async throws

    /// Lifts a ban; returns whether there was one.
    func unban(_ userID: UserID, in roomID: RoomID, audit: AuditRecord?) async throws -> Bool

    /// The ban on `userID` in the room, or `nil`.
    func ban(of userID: UserID, in roomID: RoomID) async throws -> RoomBan?

    /// The room's bans, newest first.
    func bans(in roomID: RoomID) async throws -> [RoomBan]

    /// The room's audit log, newest first, before the entry `before` when given.
    func auditLog(of roomID: RoomID, before: Int64?, limit: Int) async throws -> [AuditEntry]
}

/// Chat messages.
public protocol MessageStore: Sendable {
    /// Stores messages in one transaction, in order, and returns what each did. A message whose
    /// client ID its author already used in that room stores nothing and returns the earlier one.
    ///
    /// Hosts batch concurrent posts into one call, so a backend commits (and syncs) once per batch.
    func appendMessages(_ messages: [NewMessage]) async throws -> [AppendedMessage]

    /// Up to `limit` messages of the room that are not deleted, newest first, older than `before` when given.
    func messages(in roomID: RoomID, before: MessageID?, limit: Int) async throws -> [Message]

    /// The message, deleted or not, or `nil`.
    func message(id: MessageID) async throws -> Message?

    /// The message `authorID` posted in the room with this client ID, or `nil`.
    func message(clientID: String, of authorID: UserID, in roomID: RoomID) async throws -> Message?

    /// Replaces a message's body and sets its edit time.
    func editMessage(_ id: MessageID, body: String, at date: Date) async throws -> Message

    /// Marks a message deleted and records `audit` (for deletions by moderators).
    func deleteMessage(_ id: MessageID, at date: Date, audit: AuditRecord?) async throws -> Message

    /// When `authorID` last posted in the room, for slowmode.
    func lastMessageDate(of authorID: UserID, in roomID: RoomID) async throws -> Date?
}
