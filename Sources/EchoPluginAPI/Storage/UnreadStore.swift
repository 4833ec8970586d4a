public import Foundation

/// Whom a message mentions.
///
/// - Note: Added in EchoPluginAPI 1.11.
public struct MessageMentions: Hashable, Sendable {
    /// The users mentioned by name (storages may return them in any order).
    public var users: [UserID]
    /// Whether it mentions everyone in the room (`@room`).
    public var room: Bool

    /// Creates a mention set.
    public init(users: [UserID] = [], room: Bool = false) {
        self.users = users
        self.room = room
    }

    /// No one.
    public static let none = MessageMentions()

    /// Whether it mentions anyone.
    public var isEmpty: Bool { users.isEmpty && !room }
}

/// A reader's unread messages in one room or conversation.
///
/// - Note: Added in EchoPluginAPI 1.11.
public struct UnreadCount: Hashable, Sendable {
    /// Messages by others after the reader's marker that are not deleted.
    public var unread: Int
    /// Of those, the ones that mention the reader by name or mention the room.
    public var mentions: Int

    /// Creates a count.
    public init(unread: Int, mentions: Int) {
        self.unread = unread
        self.mentions = mentions
    }
}

/// Read markers, mentions and unread counts.
///
/// Each user has one read marker per room (or conversation): the newest message they have read.
/// It only moves forward. A storage that conforms keeps, from ``MessageStore/appendMessages(_:)``
/// in the same transaction, each new message's ``NewMessage/mentions`` and moves its author's
/// marker to it (who posts has read what came before), and forgets the mentions of a message
/// ``MessageStore/deleteMessage(_:at:audit:)`` deletes. ``unreadCounts(of:in:)`` must not read
/// the messages after the marker one by one: a room of a million unread messages answers as fast
/// as one of ten (a per-room ordinal of messages makes the count a subtraction). Run
/// `StorageConformance.unreadChecks`.
///
/// ```swift
/// extension MyStorage: UnreadStore {
///     public func unreadCounts(of userID: UserID, in rooms: [RoomID], excludingAuthors: Set<UserID>) async throws
///         -> [RoomID: UnreadCount] {
///         // Per room: last ordinal − the marker's ordinal − deleted (and excluded authors')
///         // messages after the marker, each read through an index.
///     }
///     // …
/// }
/// ```
///
/// - Note: Added in EchoPluginAPI 1.11.
public protocol UnreadStore: Storage {
    /// Moves the user's marker in the room forward to `messageID`, a message of that room;
    /// returns whether it moved (a marker never moves back).
    ///
    /// - Throws: ``StorageError/notFound(_:)`` when the message is not one of the room's.
    func markRead(_ messageID: MessageID, by userID: UserID, in roomID: RoomID, at date: Date) async throws -> Bool

    /// The user's markers in `rooms`; a room without one is left out.
    func readMarkers(of userID: UserID, in rooms: [RoomID]) async throws -> [RoomID: MessageID]

    /// The user's unread counts in each of `rooms`, leaving out the messages of
    /// `excludingAuthors` (the users they block, whose messages they never see).
    func unreadCounts(of userID: UserID, in rooms: [RoomID], excludingAuthors: Set<UserID>) async throws -> [RoomID: UnreadCount]

    /// The mentions of each of `messages` that mentions anyone.
    func mentions(in messages: [MessageID]) async throws -> [MessageID: MessageMentions]

    /// Replaces a message's mentions (after an edit).
    func setMentions(_ mentions: MessageMentions, of message: MessageID) async throws
}

extension UnreadStore {
    /// The user's unread counts in each of `rooms`, every author counted.
    public func unreadCounts(of userID: UserID, in rooms: [RoomID]) async throws -> [RoomID: UnreadCount] {
        try await unreadCounts(of: userID, in: rooms, excludingAuthors: [])
    }
}

extension TransferTable {
    /// Read markers, moved only between two storages that keep them (``UnreadStore``).
    ///
    /// - Note: Added in EchoPluginAPI 1.11.
    public static let readMarkers = TransferTable(
        "read_markers",
        columns: [.init("user_id", .integer), .init("room_id", .integer), .init("message_id", .integer), .init("updated_at", .integer)],
        primaryKey: ["user_id", "room_id"])

    /// Mentions (user 0 for `@room`), moved with ``readMarkers``.
    ///
    /// - Note: Added in EchoPluginAPI 1.11.
    public static let messageMentions = TransferTable(
        "message_mentions", columns: [.init("message_id", .integer), .init("user_id", .integer), .init("room_id", .integer)],
        primaryKey: ["message_id", "user_id"])
}
