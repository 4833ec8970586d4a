public import Foundation

/// Whom a user takes new direct messages from.
///
/// - Note: Added in EchoPluginAPI 1.11.
public enum DirectMessagePolicy: String, Hashable, Codable, Sendable, CaseIterable {
    /// Anyone signed in.
    case everyone
    /// People who share at least one room with them (the default).
    case sharedRooms = "shared_rooms"
    /// Nobody.
    case nobody
}

/// A direct conversation: a one-to-one or group conversation outside the room directory.
///
/// Its messages, reactions and threads are those of its ``room`` row (``Room/kind`` is
/// ``RoomKind/direct`` or ``RoomKind/group``); its members are that row's memberships.
///
/// - Note: Added in EchoPluginAPI 1.11.
public struct DirectConversation: Hashable, Sendable {
    /// The row that holds its messages and members.
    public var room: Room
    /// The name a group was given, if any.
    public var name: String?
    /// The members, in the order they joined.
    public var memberIDs: [UserID]
    /// The newest message that is not deleted, if any.
    public var lastMessage: Message?

    /// Creates a conversation value.
    public init(room: Room, name: String?, memberIDs: [UserID], lastMessage: Message?) {
        self.room = room
        self.name = name
        self.memberIDs = memberIDs
        self.lastMessage = lastMessage
    }

    /// The conversation's identifier: its room row's.
    public var id: RoomID { room.id }

    /// The order ``DirectMessageStore/directConversations(of:)`` lists conversations in: the one
    /// with the newest message first, then those without messages, newest first.
    ///
    /// - Note: Added in EchoPluginAPI 1.11.
    public static func byActivity(_ lhs: DirectConversation, _ rhs: DirectConversation) -> Bool {
        switch (lhs.lastMessage, rhs.lastMessage) {
        case (let left?, let right?): return left.id > right.id
        case (.some, nil): return true
        case (nil, .some): return false
        case (nil, nil): return (lhs.room.createdAt, lhs.id) > (rhs.room.createdAt, rhs.id)
        }
    }
}

/// One user blocking another.
///
/// - Note: Added in EchoPluginAPI 1.11.
public struct UserBlock: Hashable, Sendable {
    /// Who blocks.
    public var blockerID: UserID
    /// Whom.
    public var blockedID: UserID
    /// Since when.
    public var createdAt: Date

    /// Creates a block value.
    public init(blockerID: UserID, blockedID: UserID, createdAt: Date) {
        self.blockerID = blockerID
        self.blockedID = blockedID
        self.createdAt = createdAt
    }
}

/// Direct conversations, blocks and each user's direct-message policy.
///
/// A conversation is a room row of kind ``RoomKind/direct`` or ``RoomKind/group`` (named as
/// ``RoomKind/newStoredName()`` makes), so messages, memberships, reactions and threads need
/// nothing new; ``RoomStore/rooms(visibleTo:)`` and ``RoomStore/allRooms(for:)`` leave those rows
/// out, and ``RoomStore/room(named:)`` never finds them. A pair of users has at most one
/// one-to-one conversation, whichever instance asks: ``openDirectConversation(between:and:at:)``
/// finds it or creates it in one step. Run `StorageConformance.directMessageChecks`.
///
/// ```swift
/// extension MyStorage: DirectMessageStore {
///     public func openDirectConversation(between first: UserID, and second: UserID, at date: Date) async throws
///         -> (conversation: DirectConversation, created: Bool) {
///         // In one transaction: the pair's row under a unique key, or a new room row named
///         // RoomKind.direct.newStoredName() with both as members.
///     }
///     // …
/// }
/// ```
///
/// - Note: Added in EchoPluginAPI 1.11.
public protocol DirectMessageStore: Storage {
    /// The one-to-one conversation of two different users, created (with both as members) when
    /// they have none; `created` tells which. Concurrent calls for one pair return one conversation.
    func openDirectConversation(between first: UserID, and second: UserID, at date: Date) async throws -> (conversation: DirectConversation, created: Bool)

    /// A new group conversation of `members` (distinct, in joining order), named `name` when given.
    func createGroupConversation(named name: String?, members: [UserID], at date: Date) async throws -> DirectConversation

    /// The conversation with this identifier, or `nil` (also for a room of the directory).
    func directConversation(id: RoomID) async throws -> DirectConversation?

    /// The conversations `userID` is a member of, the one with the newest message first
    /// (conversations without messages by creation time, newest first).
    func directConversations(of userID: UserID) async throws -> [DirectConversation]

    /// Adds a member to a group conversation; returns `false` when they already were one.
    ///
    /// - Throws: ``StorageError/conflict(_:)`` when the group already has `maxMembers` members
    ///   (checked in the same transaction), ``StorageError/notFound(_:)`` when there is no such group.
    func addConversationMember(_ userID: UserID, to conversation: RoomID, at date: Date, maxMembers: Int) async throws -> Bool

    /// The user's policy; ``DirectMessagePolicy/sharedRooms`` until they set one.
    func directMessagePolicy(of userID: UserID) async throws -> DirectMessagePolicy

    /// Sets the user's policy.
    func setDirectMessagePolicy(_ policy: DirectMessagePolicy, of userID: UserID) async throws

    /// Records that `blocker` blocks `blocked` (idempotent: the first time is kept).
    func block(_ blocked: UserID, by blocker: UserID, at date: Date) async throws

    /// Lifts a block; returns whether there was one.
    func unblock(_ blocked: UserID, by blocker: UserID) async throws -> Bool

    /// The users `blocker` blocks, the most recent first.
    func blockedUsers(by blocker: UserID) async throws -> [UserBlock]

    /// Those of `others` that block `user` or that `user` blocks.
    func blocks(between user: UserID, and others: Set<UserID>) async throws -> Set<UserID>

    /// Whether the two users are both members of at least one room of the directory.
    func sharesRoom(_ first: UserID, _ second: UserID) async throws -> Bool
}

extension TransferTable {
    /// Direct conversations beyond their room rows, moved only between two storages that keep
    /// them (``DirectMessageStore``).
    ///
    /// - Note: Added in EchoPluginAPI 1.11.
    public static let directConversations = TransferTable(
        "direct_conversations",
        columns: [.init("room_id", .integer), .init("name", .text, nullable: true), .init("pair_key", .text, nullable: true)],
        primaryKey: ["room_id"])

    /// Blocks between users, moved with ``directConversations``.
    ///
    /// - Note: Added in EchoPluginAPI 1.11.
    public static let userBlocks = TransferTable(
        "user_blocks",
        columns: [.init("blocker_id", .integer), .init("blocked_id", .integer), .init("created_at", .integer)],
        primaryKey: ["blocker_id", "blocked_id"])

    /// Each user's direct-message policy, moved with ``directConversations``.
    ///
    /// - Note: Added in EchoPluginAPI 1.11.
    public static let directMessagePolicies = TransferTable(
        "dm_policies", columns: [.init("user_id", .integer), .init("policy", .text)], primaryKey: ["user_id"])
}
