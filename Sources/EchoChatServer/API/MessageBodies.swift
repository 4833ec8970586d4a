import EchoPluginAPI
import Foundation

/// `{username, display_name}`
struct AuthorBody: Codable, Sendable {
    let username: String
    let displayName: String

    init(_ user: User) {
        username = user.username
        displayName = user.displayName
    }

    init(username: String, displayName: String) {
        self.username = username
        self.displayName = displayName
    }
}

/// A message as the API shows it.
struct MessageBody: Encodable, Sendable {
    let id: Int64
    /// The room's name, or `nil` in a direct conversation.
    let room: String?
    /// The direct conversation's id, or `nil` in a room.
    let dm: Int64?
    let author: AuthorBody
    let body: String
    let clientId: String?
    let createdAt: Date
    let editedAt: Date?
    /// The reactions as the reader sees them; only where a reader is known (history).
    var reactions: [ReactionBody]? = nil
    /// Replies: what this one quotes, and its own count; with a storage that keeps threads.
    var thread: MessageThreadBody? = nil

    init(_ message: Message, in room: Room, author: AuthorBody, reactions: [ReactionCount]? = nil) {
        self.reactions = reactions.map { $0.map(ReactionBody.init) }
        id = message.id.rawValue
        (self.room, dm) = room.kind == .room ? (room.name, nil) : (nil, room.id.rawValue)
        self.author = author
        body = message.body
        clientId = message.clientID
        createdAt = message.createdAt
        editedAt = message.editedAt
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(room, forKey: .room)  // null in a direct conversation
        try container.encodeIfPresent(dm, forKey: .dm)
        try container.encode(author, forKey: .author)
        try container.encode(body, forKey: .body)
        try container.encodeIfPresent(clientId, forKey: .clientId)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(editedAt, forKey: .editedAt)
        try container.encodeIfPresent(reactions, forKey: .reactions)
        if let thread, thread.hasThreads {
            try container.encode(thread.replyTo, forKey: .replyTo)  // null, not absent, for a message that replies to none
            try container.encode(thread.replyCount, forKey: .replyCount)
            try container.encode(thread.lastReplyAt, forKey: .lastReplyAt)
        }
        if let mentions = thread?.mentions {
            try container.encode(mentions.usernames, forKey: .mentions)
            try container.encode(mentions.room, forKey: .mentionsRoom)
        }
    }

    enum CodingKeys: String, CodingKey {
        case id, room, dm, author, body, clientId, createdAt, editedAt, reactions, replyTo, replyCount, lastReplyAt, mentions, mentionsRoom
    }
}

/// What the storage knows of a message beyond it, as the API shows it: its place in threads
/// (with a storage that keeps them) and whom it mentions (with one that keeps mentions).
struct MessageThreadBody: Sendable {
    var replyTo: QuoteBody?
    var replyCount: Int
    var lastReplyAt: Date?
    /// Whether the reply fields are known (the storage keeps threads).
    var hasThreads = true
    var mentions: MentionsBody? = nil

    init(replyTo: QuoteBody?, replyCount: Int, lastReplyAt: Date?) {
        self.replyTo = replyTo
        self.replyCount = replyCount
        self.lastReplyAt = lastReplyAt
    }

    /// Mentions alone, with a storage that keeps no threads.
    init(mentions: MentionsBody) {
        self.init(replyTo: nil, replyCount: 0, lastReplyAt: nil)
        hasThreads = false
        self.mentions = mentions
    }
}

/// `mentions: [username…]` and `mentions_room`.
struct MentionsBody: Sendable, Equatable {
    let usernames: [String]
    let room: Bool

    static let none = MentionsBody(usernames: [], room: false)
}

/// `reply_to`: `{id, author, excerpt}` of the message replied to, or `{id, deleted: true}` once it is gone.
struct QuoteBody: Encodable, Sendable {
    let id: Int64
    let author: AuthorBody?
    let excerpt: String?

    /// The longest excerpt, in characters, before it is cut with "…".
    static let excerptLength = 120

    init(_ parent: Message?, id: MessageID, author: AuthorBody?) {
        self.id = id.rawValue
        guard let parent, parent.deletedAt == nil else {
            (self.author, excerpt) = (nil, nil)
            return
        }
        self.author = author
        let flat = parent.body.split(whereSeparator: \.isNewline).joined(separator: " ")
        excerpt = flat.count > Self.excerptLength ? String(flat.prefix(Self.excerptLength)) + "…" : flat
    }

    enum CodingKeys: String, CodingKey { case id, author, excerpt, deleted }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        if let author, let excerpt {
            try container.encode(author, forKey: .author)
            try container.encode(excerpt, forKey: .excerpt)
        } else {
            try container.encode(true, forKey: .deleted)
        }
    }
}

/// `GET /api/rooms/{name}/messages/{id}/replies`: oldest first.
struct RepliesPage: Encodable {
    let messages: [MessageBody]
    let nextAfter: Int64?

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(messages, forKey: .messages)
        try container.encode(nextAfter, forKey: .nextAfter)
    }

    enum CodingKeys: String, CodingKey {
        case messages, nextAfter
    }
}

/// `{emoji, count, me}`: one emoji's reactions on a message.
struct ReactionBody: Encodable, Sendable {
    let emoji: String
    let count: Int
    let me: Bool

    init(_ reaction: ReactionCount) {
        emoji = reaction.emoji
        count = reaction.count
        me = reaction.includesViewer
    }
}

/// `reaction.added` / `reaction.removed`.
struct ReactionFrame: Encodable {
    let type: String
    let room: Room
    let messageId: Int64
    let emoji: String
    let user: AuthorBody

    enum CodingKeys: String, CodingKey { case type, room, dm, messageId, emoji, user }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(type, forKey: .type)
        try container.encodeConversation(of: room, room: .room, dm: .dm)
        try container.encode(messageId, forKey: .messageId)
        try container.encode(emoji, forKey: .emoji)
        try container.encode(user, forKey: .user)
    }
}

extension KeyedEncodingContainer {
    /// `"room": name` for a room; `"room": null, "dm": id` for a direct conversation.
    mutating func encodeConversation(of room: Room, room roomKey: Key, dm dmKey: Key) throws {
        if room.kind == .room {
            try encode(room.name, forKey: roomKey)
        } else {
            try encodeNil(forKey: roomKey)
            try encode(room.id.rawValue, forKey: dmKey)
        }
    }
}

struct MessagesPage: Encodable {
    let messages: [MessageBody]
    let nextBefore: Int64?

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(messages, forKey: .messages)
        try container.encode(nextBefore, forKey: .nextBefore)
    }

    enum CodingKeys: String, CodingKey {
        case messages, nextBefore
    }
}

/// `POST /api/rooms/{name}/messages`
struct PostRequest: Decodable {
    let body: String
    let clientId: String?
    /// The message this one replies to.
    let replyTo: Int64?
}

/// `PATCH /api/rooms/{name}/messages/{id}`
struct EditRequest: Decodable { let body: String }
