import EchoPluginAPI
import Foundation
import NIOCore

/// `POST /api/livekit/token`
struct TokenRequest: Decodable {
    let room: String
    /// Members to sit with: the strategy is told which sub-rooms they are in.
    let with: [String]?

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

/// One sub-room in `GET /api/rooms/{name}/voice` and `voice.occupancy` events.
struct SubroomBody: Encodable, Sendable, Equatable {
    struct Participant: Encodable, Sendable, Equatable {
        let username: String
        let displayName: String
        let publishing: [String]

        enum CodingKeys: String, CodingKey {
            case username, publishing
            case displayName = "display_name"
        }
    }

    let index: Int
    let livekitRoom: String
    /// Who LiveKit reported joined.
    let participants: [Participant]
    /// Tokens handed out whose holders have not joined yet.
    let reserved: Int

    enum CodingKeys: String, CodingKey {
        case index, participants, reserved
        case livekitRoom = "livekit_room"
    }
}

/// `GET /api/rooms/{name}/voice`
struct SubroomsBody: Encodable {
    let subrooms: [SubroomBody]
}
