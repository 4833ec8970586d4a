import EchoPluginAPI
import Foundation

/// A direct conversation as the API shows it: `{id, kind, name, members, last_message}` (with
/// `unread_count` and `mention_count` for the reader).
struct DirectConversationBody: Encodable, Sendable {
    let id: Int64
    let kind: String
    let name: String?
    let members: [UserBody]
    let lastMessage: MessageBody?
    var unreadCount: Int?
    var mentionCount: Int?

    init(_ conversation: DirectConversation, users: [User], lastMessage: MessageBody?) {
        id = conversation.id.rawValue
        kind = conversation.room.kind.rawValue
        name = conversation.name
        let byID = Dictionary(users.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        members = conversation.memberIDs.compactMap { byID[$0].map(UserBody.init) }
        self.lastMessage = lastMessage
    }

    enum CodingKeys: String, CodingKey { case id, kind, name, members, lastMessage, unreadCount, mentionCount }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(kind, forKey: .kind)
        try container.encode(name, forKey: .name)  // null, not absent, for an unnamed one
        try container.encode(members, forKey: .members)
        try container.encode(lastMessage, forKey: .lastMessage)
        try container.encodeIfPresent(unreadCount, forKey: .unreadCount)
        try container.encodeIfPresent(mentionCount, forKey: .mentionCount)
    }
}

/// `GET /api/dms`
struct DirectConversationsBody: Encodable {
    let dms: [DirectConversationBody]
}

/// `dm.created`: `{conversation, dm, type}`, to each member.
struct DirectCreatedFrame: Encodable {
    let type = "dm.created"
    let dm: Int64
    let conversation: DirectConversationBody

    init(conversation: DirectConversationBody) {
        dm = conversation.id
        self.conversation = conversation
    }
}

/// `blocks.updated`: the user's whole block list, to their own connections.
struct BlocksFrame: Encodable {
    let type = "blocks.updated"
    let blocked: [AuthorBody]
}

/// `GET /api/me/blocks`
struct BlocksBody: Encodable {
    struct Entry: Encodable {
        let user: AuthorBody
        let blockedAt: Date
    }
    let blocks: [Entry]
}

/// `POST /api/dms`
struct OpenDirectRequest: Decodable {
    let users: [String]
    let name: String?
}

/// `POST /api/dms/{id}/members`
struct DirectMemberRequest: Decodable {
    let username: String
}

/// `PATCH /api/me`
struct UpdateMeRequest: Decodable {
    let dmPolicy: DirectMessagePolicy?
}

/// `GET /api/me` and `PATCH /api/me`: the account, and the caller's own settings.
struct MeBody: Encodable {
    let user: UserBody
    let dmPolicy: DirectMessagePolicy?
}

/// `POST …/read`
struct ReadRequest: Decodable {
    let messageId: Int64
}

/// A reader's marker and counts in one room or conversation: the answer to `POST …/read`.
struct ReadStateBody: Encodable, Sendable {
    let room: Room
    let messageId: Int64
    let unreadCount: Int
    let mentionCount: Int

    init(room: Room, messageID: MessageID, counts: UnreadCount) {
        self.room = room
        messageId = messageID.rawValue
        unreadCount = counts.unread
        mentionCount = counts.mentions
    }

    enum CodingKeys: String, CodingKey { case room, dm, messageId, unreadCount, mentionCount }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeConversation(of: room, room: .room, dm: .dm)
        try container.encode(messageId, forKey: .messageId)
        try container.encode(unreadCount, forKey: .unreadCount)
        try container.encode(mentionCount, forKey: .mentionCount)
    }
}

/// `read.updated`: the reader's marker moved (on this or another tab or device).
struct ReadUpdatedFrame: Encodable {
    let state: ReadStateBody

    init(_ state: ReadStateBody) { self.state = state }

    enum CodingKeys: String, CodingKey { case type }

    func encode(to encoder: any Encoder) throws {
        try state.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode("read.updated", forKey: .type)
    }
}
