import EchoPluginAPI
import Foundation
import NIOCore

/// `POST /api/livekit/token`
struct TokenRequest: Decodable {
    let room: String
    /// Members to sit with: the strategy is told which sub-rooms they are in.
    let with: [String]?
    /// Wait in the room's queue rather than be refused when every sub-room is full.
    let queue: Bool?

    /// The most companions one request names.
    static let maxCompanions = 16

    /// `with` as canonical usernames; a malformed entry is a 400.
    func companions() throws -> [String] {
        guard let with else { return [] }
        guard with.count <= Self.maxCompanions else {
            throw APIError.badRequest("with: at most \(Self.maxCompanions) usernames", code: "invalid_request")
        }
        return try with.map { name in
            guard let canonical = Usernames.canonical(name) else { throw APIError.badRequest("with: \(Usernames.rule)", code: "invalid_request") }
            return canonical
        }
    }
}

/// `POST /api/rooms/{name}/voice/mute`: who, and until when (absent: until lifted).
struct VoiceMuteRequest: Decodable {
    let username: String
    let expiresAt: String?

    /// `expires_at` as a date; a malformed one is a 400. One in the past mutes nothing: the
    /// mute is already over.
    func until() throws -> Date? {
        guard let expiresAt else { return nil }
        guard let date = RFC3339.date(expiresAt) else {
            throw APIError.badRequest("expires_at: a date-time such as 2026-12-31T18:00:00Z", code: "invalid_request")
        }
        return date
    }
}

/// `POST /api/livekit/token`'s answer.
struct VoiceTokenBody: Encodable, Sendable {
    let url: String
    let room: String
    let token: String
    let subroom: Int
    let identity: String
    let expiresAt: Date

    init(url: String, room: String, token: String, subroom: Int, identity: String, expiresAt: Date) {
        self.url = url
        self.room = room
        self.token = token
        self.subroom = subroom
        self.identity = identity
        self.expiresAt = expiresAt
    }

    init(_ minted: VoiceToken) {
        self.init(
            url: minted.url, room: minted.livekitRoom, token: minted.token, subroom: minted.subroom, identity: minted.identity,
            expiresAt: minted.expiresAt)
    }

    enum CodingKeys: String, CodingKey {
        case url, room, token, subroom, identity
        case expiresAt = "expires_at"
    }

    /// The body as JSON text; the same document the encoder would write, without its cost on
    /// every token.
    var json: ByteBuffer {
        var out = JSONText(capacity: 128 + token.utf8.count)
        out.raw("{")
        out.key("expires_at")
        out.string(expiresAt.formatted(.iso8601))
        out.raw(",")
        out.key("identity")
        out.string(identity)
        out.raw(",")
        out.key("room")
        out.string(room)
        out.raw(",\"subroom\":\(subroom),")
        out.key("token")
        out.string(token)
        out.raw(",")
        out.key("url")
        out.string(url)
        out.raw("}")
        return ByteBuffer(bytes: out.bytes)
    }
}

/// One sub-room in `GET /api/rooms/{name}/voice` and the `voice.occupancy` and `voice.roster` events.
struct SubroomBody: Encodable, Sendable, Equatable {
    struct Participant: Encodable, Sendable, Equatable {
        let username: String
        let displayName: String
        let publishing: [String]
        /// Their room role (`nil` for a server admin who is not a member).
        let role: String?
        /// `joined`, or `reserved` while a token is out and LiveKit has not reported the join ("joining").
        let state: String
        /// Not publishing a microphone, or voice-muted by a moderator.
        let muted: Bool
        /// Voice-muted by a moderator: their tokens are listen-only until it is lifted or lapses.
        let voiceMuted: Bool

        enum CodingKeys: String, CodingKey {
            case username, publishing, role, state, muted
            case displayName = "display_name"
            case voiceMuted = "voice_muted"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(username, forKey: .username)
            try container.encode(displayName, forKey: .displayName)
            try container.encode(publishing, forKey: .publishing)
            try container.encode(role, forKey: .role)  // null, not left out
            try container.encode(state, forKey: .state)
            try container.encode(muted, forKey: .muted)
            try container.encode(voiceMuted, forKey: .voiceMuted)
        }
    }

    let index: Int
    let livekitRoom: String
    /// Who holds a seat: joined, then those still joining.
    let participants: [Participant]
    /// Tokens handed out whose holders have not joined yet.
    let reserved: Int

    enum CodingKeys: String, CodingKey {
        case index, participants, reserved
        case livekitRoom = "livekit_room"
    }
}

/// `GET /api/rooms/{name}/voice`: the roster, the queue's length and the asker's place in it.
struct SubroomsBody: Encodable {
    let subrooms: [SubroomBody]
    let queueLength: Int
    let myQueuePosition: Int?

    enum CodingKeys: String, CodingKey {
        case subrooms
        case queueLength = "queue_length"
        case myQueuePosition = "my_queue_position"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(subrooms, forKey: .subrooms)
        try container.encode(queueLength, forKey: .queueLength)
        try container.encode(myQueuePosition, forKey: .myQueuePosition)  // null when not queued
    }
}

/// `POST /api/livekit/token`'s answer when the request waits in the queue: 202.
struct QueuedBody: Encodable {
    let queued: Bool
    let position: Int
}

/// `POST /api/rooms/{name}/voice/move`
struct VoiceMoveRequest: Decodable {
    let username: String
    let subroom: Int
}

/// `POST /api/rooms/{name}/voice/mute_all`
struct VoiceSubroomRequest: Decodable {
    let subroom: Int
}

/// `POST /api/rooms/{name}/voice/bans`
struct VoiceBanRequest: Decodable {
    let username: String
    let reason: String?
    let expiresAt: String?

    /// The longest reason kept.
    static let maxReasonLength = 500

    /// `expires_at` as a date (`nil`: until lifted); a malformed one is a 400.
    func until() throws -> Date? {
        guard let expiresAt else { return nil }
        guard let date = RFC3339.date(expiresAt) else {
            throw APIError.badRequest("expires_at: a date-time such as 2026-12-31T18:00:00Z", code: "invalid_request")
        }
        return date
    }

    /// The reason, trimmed; empty means none. Too long is a 400.
    func trimmedReason() throws -> String? {
        guard let reason = reason?.trimmingCharacters(in: .whitespacesAndNewlines), !reason.isEmpty else { return nil }
        guard reason.count <= Self.maxReasonLength else {
            throw APIError.badRequest("reason: at most \(Self.maxReasonLength) characters", code: "invalid_request")
        }
        return reason
    }
}

/// A voice ban as `GET /api/rooms/{name}/voice/bans` lists it.
struct VoiceBanBody: Encodable {
    let username: String
    let displayName: String
    let reason: String?
    let expiresAt: Date?
    let createdAt: Date
    let bannedBy: String?

    enum CodingKeys: String, CodingKey {
        case username, reason
        case displayName = "display_name"
        case expiresAt = "expires_at"
        case createdAt = "created_at"
        case bannedBy = "banned_by"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(username, forKey: .username)
        try container.encode(displayName, forKey: .displayName)
        try container.encode(reason, forKey: .reason)
        try container.encode(expiresAt, forKey: .expiresAt)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(bannedBy, forKey: .bannedBy)
    }
}

/// A voice mute as `GET /api/rooms/{name}/voice/mutes` lists it.
struct VoiceMuteBody: Encodable {
    let username: String
    let displayName: String
    /// `nil` for a mute that lasts until lifted.
    let expiresAt: Date?

    enum CodingKeys: String, CodingKey {
        case username
        case displayName = "display_name"
        case expiresAt = "expires_at"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(username, forKey: .username)
        try container.encode(displayName, forKey: .displayName)
        try container.encode(expiresAt, forKey: .expiresAt)
    }
}

/// `voice.seat_offered` and `voice.moved`: a token for the receiver, as the token endpoint
/// answers it, with `channel` naming the EchoChat room.
struct VoiceTokenFrame: Encodable {
    let type: String
    let channel: String
    let url: String
    let room: String
    let token: String
    let subroom: Int
    let identity: String
    let expiresAt: Date

    init(_ type: String, channel: String, _ minted: VoiceToken) {
        self.type = type
        self.channel = channel
        url = minted.url
        room = minted.livekitRoom
        token = minted.token
        subroom = minted.subroom
        identity = minted.identity
        expiresAt = minted.expiresAt
    }
}

/// `voice.queue`: the receiver's place in a room's queue, `null` once they left it.
struct VoiceQueueFrame: Encodable {
    let type = "voice.queue"
    let room: String
    let position: Int?

    enum CodingKeys: String, CodingKey { case type, room, position }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(type, forKey: .type)
        try container.encode(room, forKey: .room)
        try container.encode(position, forKey: .position)
    }
}

/// `voice.roster`: every sub-room of the room and the queue's length.
struct VoiceRosterFrame: Encodable {
    let type = "voice.roster"
    let room: String
    let subrooms: [SubroomBody]
    let queueLength: Int

    enum CodingKeys: String, CodingKey {
        case type, room, subrooms
        case queueLength = "queue_length"
    }
}
