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
    /// Seats held in the room's voice channel (joined and joining); only in the room list.
    var inVoice: Int? = nil
    /// The member's unread messages and mentions; only in the room list, for rooms they belong to.
    var unread: UnreadCount? = nil

    init(_ room: Room, role: RoomRole?, inVoice: Int? = nil) {
        name = room.name
        topic = room.topic
        visibility = room.visibility.rawValue
        readonly = room.isReadonly
        slowmodeSeconds = room.slowmodeSeconds
        voice = VoiceBody(room.voice)
        createdAt = room.createdAt
        myRole = role?.rawValue
        self.inVoice = inVoice
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
        try container.encodeIfPresent(inVoice, forKey: .inVoice)
        try container.encodeIfPresent(unread?.unread, forKey: .unreadCount)
        try container.encodeIfPresent(unread?.mentions, forKey: .mentionCount)
    }

    enum CodingKeys: String, CodingKey {
        case name, topic, visibility, readonly, slowmodeSeconds, voice, createdAt, myRole, inVoice, unreadCount, mentionCount
    }
}

struct RoomsBody: Encodable {
    let rooms: [RoomBody]
}

/// `{enabled?, allow_video?, allow_screen_share?}` in a room's creation or update.
struct VoiceRequest: Decodable {
    let enabled: Bool?
    let allowVideo: Bool?
    let allowScreenShare: Bool?

    func applied(to voice: VoiceSettings) -> VoiceSettings {
        VoiceSettings(
            enabled: enabled ?? voice.enabled, allowVideo: allowVideo ?? voice.allowVideo,
            allowScreenShare: allowScreenShare ?? voice.allowScreenShare)
    }
}

/// `POST /api/rooms`
struct CreateRoomRequest: Decodable {
    let name: String
    let topic: String?
    let visibility: String?
    let readonly: Bool?
    let slowmodeSeconds: Int?
    let voice: VoiceRequest?
}

/// `PATCH /api/rooms/{name}`
struct UpdateRoomRequest: Decodable {
    let topic: String?
    let visibility: String?
    let readonly: Bool?
    let slowmodeSeconds: Int?
    let voice: VoiceRequest?
}
