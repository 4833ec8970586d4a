public import Foundation

/// The identifier of a message; identifiers increase in the order messages were stored.
public struct MessageID: RawRepresentable, Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    /// The raw database value.
    public let rawValue: Int64
    /// Wraps a raw database value.
    public init(rawValue: Int64) { self.rawValue = rawValue }
    /// Wraps a raw database value.
    public init(_ rawValue: Int64) { self.rawValue = rawValue }
    public var description: String { String(rawValue) }
    public static func < (lhs: MessageID, rhs: MessageID) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A chat message.
public struct Message: Hashable, Sendable {
    /// The identifier; increases within a room in storage order.
    public var id: MessageID
    /// The room it was posted in.
    public var roomID: RoomID
    /// The author.
    public var authorID: UserID
    /// The text.
    public var body: String
    /// The author's idempotency key, if the client sent one.
    public var clientID: String?
    /// When it was posted.
    public var createdAt: Date
    /// When it was last edited, or `nil`.
    public var editedAt: Date?
    /// When it was deleted, or `nil`. Deleted messages are left out of history.
    public var deletedAt: Date?

    /// Creates a message value.
    public init(
        id: MessageID, roomID: RoomID, authorID: UserID, body: String, clientID: String? = nil, createdAt: Date,
        editedAt: Date? = nil, deletedAt: Date? = nil
    ) {
        self.id = id
        self.roomID = roomID
        self.authorID = authorID
        self.body = body
        self.clientID = clientID
        self.createdAt = createdAt
        self.editedAt = editedAt
        self.deletedAt = deletedAt
    }
}

/// A message to be stored.
public struct NewMessage: Hashable, Sendable {
    /// The room.
    public var roomID: RoomID
    /// The author.
    public var authorID: UserID
    /// The text.
    public var body: String
    /// An idempotency key: the same key from the same author in the same room yields the first message.
    public var clientID: String?
    /// The posting time.
    public var createdAt: Date
    /// The message this one replies to, in the same room. Kept by a ``ThreadStore``; other
    /// storages are never handed a reply.
    ///
    /// - Note: Added in EchoPluginAPI 1.10.
    public var replyTo: MessageID? = nil
    /// Whom it mentions. Kept by an ``UnreadStore``.
    ///
    /// - Note: Added in EchoPluginAPI 1.11.
    public var mentions: MessageMentions = .none

    /// Creates a new message.
    public init(roomID: RoomID, authorID: UserID, body: String, clientID: String? = nil, createdAt: Date) {
        self.roomID = roomID
        self.authorID = authorID
        self.body = body
        self.clientID = clientID
        self.createdAt = createdAt
    }

    /// Creates a reply.
    ///
    /// - Note: Added in EchoPluginAPI 1.10.
    public init(roomID: RoomID, authorID: UserID, body: String, clientID: String? = nil, createdAt: Date, replyTo: MessageID?) {
        self.init(roomID: roomID, authorID: authorID, body: body, clientID: clientID, createdAt: createdAt)
        self.replyTo = replyTo
    }
}

/// What appending a message did.
public struct AppendedMessage: Hashable, Sendable {
    /// The stored message (the earlier one when ``isDuplicate``).
    public var message: Message
    /// Whether the client ID matched an earlier message, so nothing new was stored.
    public var isDuplicate: Bool

    /// Creates a result.
    public init(message: Message, isDuplicate: Bool) {
        self.message = message
        self.isDuplicate = isDuplicate
    }
}

/// One entry of a room's moderation audit log.
public struct AuditEntry: Hashable, Sendable {
    /// The entry's identifier; increases with time.
    public var id: Int64
    /// The room acted in.
    public var roomID: RoomID
    /// Who acted.
    public var actorID: UserID
    /// What they did (`ban`, `unban`, `set_role`, `delete_message`, `update_room`, `invite`, `kick`, `transfer_ownership`).
    public var action: String
    /// Whom it was done to, if anyone.
    public var targetID: UserID?
    /// Details such as a reason or the new role.
    public var detail: String?
    /// When.
    public var createdAt: Date

    /// Creates an entry value.
    public init(
        id: Int64, roomID: RoomID, actorID: UserID, action: String, targetID: UserID?, detail: String?, createdAt: Date
    ) {
        self.id = id
        self.roomID = roomID
        self.actorID = actorID
        self.action = action
        self.targetID = targetID
        self.detail = detail
        self.createdAt = createdAt
    }
}
