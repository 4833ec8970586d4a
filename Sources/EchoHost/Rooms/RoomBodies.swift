import EchoPluginAPI
import Foundation

/// `{enabled, allow_video, allow_screen_share}`
struct VoiceBody: Codable, Sendable {
    var enabled: Bool
    var allowVideo: Bool
    var allowScreenShare: Bool

    init(_ voice: VoiceSettings) {
        enabled = voice.enabled
        allowVideo = voice.allowVideo
        allowScreenShare = voice.allowScreenShare
    }
}

/// A room as the API shows it.
struct RoomBody: Encodable, Sendable {
    let name: String
    let topic: String
    let visibility: String
    let readonly: Bool
    let slowmodeSeconds: Int
    let voice: VoiceBody
    let createdAt: Date
    let myRole: String?

    init(_ room: Room, role: RoomRole?) {
        name = room.name
        topic = room.topic
        visibility = room.visibility.rawValue
        readonly = room.isReadonly
        slowmodeSeconds = room.slowmodeSeconds
        voice = VoiceBody(room.voice)
        createdAt = room.createdAt
        myRole = role?.rawValue
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(topic, forKey: .topic)
        try container.encode(visibility, forKey: .visibility)
        try container.encode(readonly, forKey: .readonly)
        try container.encode(slowmodeSeconds, forKey: .slowmodeSeconds)
        try container.encode(voice, forKey: .voice)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(myRole, forKey: .myRole)  // null, not absent, for non-members
    }

    enum CodingKeys: String, CodingKey {
        case name, topic, visibility, readonly, slowmodeSeconds, voice, createdAt, myRole
    }
}

struct RoomsBody: Encodable {
    let rooms: [RoomBody]
}

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

/// `{user, role}`
struct MemberBody: Encodable, Sendable {
    let user: UserBody
    let role: String
}

struct MembersBody: Encodable {
    let members: [MemberBody]
}

struct MembershipBody: Encodable {
    struct Inner: Encodable {
        let room: String
        let user: UserBody
        let role: String
        let joinedAt: Date
    }
    let membership: Inner
}

/// A message as the API shows it.
struct MessageBody: Encodable, Sendable {
    let id: Int64
    let room: String
    let author: AuthorBody
    let body: String
    let clientId: String?
    let createdAt: Date
    let editedAt: Date?

    init(_ message: Message, room: String, author: AuthorBody) {
        id = message.id.rawValue
        self.room = room
        self.author = author
        body = message.body
        clientId = message.clientID
        createdAt = message.createdAt
        editedAt = message.editedAt
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(room, forKey: .room)
        try container.encode(author, forKey: .author)
        try container.encode(body, forKey: .body)
        try container.encodeIfPresent(clientId, forKey: .clientId)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(editedAt, forKey: .editedAt)
    }

    enum CodingKeys: String, CodingKey {
        case id, room, author, body, clientId, createdAt, editedAt
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

struct BanBody: Encodable {
    let room: String
    let user: UserBody
    let reason: String?
    let bannedBy: String?
    let createdAt: Date
}

struct AuditEntryBody: Encodable {
    let id: Int64
    let action: String
    let actor: String?
    let target: String?
    let detail: String?
    let createdAt: Date
}
