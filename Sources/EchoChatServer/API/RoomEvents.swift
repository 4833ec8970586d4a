import EchoPluginAPI
import Foundation
import NIOCore

/// A stored message encoded once: the poster's answer, a retry's answer and the
/// `message.created` frame all carry these bytes.
struct EncodedMessage: Sendable {
    let message: Message
    let json: ByteBuffer

    init(_ message: Message, room: Room, author: AuthorBody, thread: MessageThreadBody? = nil) throws {
        self.message = message
        var body = MessageBody(message, in: room, author: author)
        body.thread = thread
        self.json = ByteBuffer(bytes: try WireJSON.encoder.encode(body))
    }
}

/// Every room event's frame, built here and nowhere else: `{<key>: payload, "room": name, "type": type}`.
extension RoomEvent {
    static func messageCreated(_ encoded: EncodedMessage, room: Room) -> RoomEvent {
        var event = wrapping(encoded.json, as: "message.created", key: "message", room: room, messageID: encoded.message.id)
        event.authorID = encoded.message.authorID
        return event
    }

    static func messageUpdated(_ message: Message, room: Room, author: AuthorBody, thread: MessageThreadBody? = nil) -> RoomEvent {
        var body = MessageBody(message, in: room, author: author)
        body.thread = thread
        var event = make("message.updated", room: room, key: "message", payload: body)
        event.authorID = message.authorID
        return event
    }

    static func messageDeleted(_ message: Message, room: Room, author: AuthorBody, thread: MessageThreadBody? = nil) -> RoomEvent {
        var body = MessageBody(message, in: room, author: author)
        body.thread = thread
        var event = make("message.deleted", room: room, key: "message", payload: body)
        event.authorID = message.authorID
        return event
    }

    /// `member.joined`, `member.left`, `member.role_changed`.
    static func member(_ type: String, room: Room, user: User, role: RoomRole, membership: MembershipChange? = nil) -> RoomEvent {
        make(type, room: room, key: "member", payload: MemberBody(user: UserBody(user), role: role.rawValue), membership: membership)
    }

    /// `typing`: `{room | dm, type, user}`; ephemeral, never stored.
    static func typing(_ user: AuthorBody, room: Room) -> RoomEvent {
        make("typing", room: room, key: "user", payload: user)
    }

    static func roomUpdated(_ room: Room) -> RoomEvent {
        make("room.updated", room: room, key: "room_info", payload: RoomBody(room, role: nil))
    }

    static func voiceOccupancy(_ subrooms: [SubroomBody], room: Room) -> RoomEvent {
        make("voice.occupancy", room: room, key: "subrooms", payload: subrooms)
    }

    /// `reaction.added` / `reaction.removed`: `{emoji, message_id, room, type, user}`.
    static func reaction(_ type: String, emoji: String, on message: MessageID, by user: User, room: Room) -> RoomEvent {
        let frame = ReactionFrame(type: type, room: room, messageId: message.rawValue, emoji: emoji, user: AuthorBody(user))
        // Connections of users blocking the reactor skip it.
        return RoomEvent(roomID: room.id, frame: ByteBuffer(bytes: (try? WireJSON.encoder.encode(frame)) ?? Data("{}".utf8)), authorID: user.id)
    }

    static func voiceRoster(_ subrooms: [SubroomBody], queueLength: Int, room: Room) -> RoomEvent {
        let frame = VoiceRosterFrame(room: room.name, subrooms: subrooms, queueLength: queueLength)
        return RoomEvent(roomID: room.id, frame: ByteBuffer(bytes: (try? WireJSON.encoder.encode(frame)) ?? Data("{}".utf8)))
    }

    /// `{<key>: json, "room": name, "type": type}` around an already encoded payload, with the
    /// keys in the order the encoder sorts them.
    private static func wrapping(_ json: ByteBuffer, as type: String, key: String, room: Room, messageID: MessageID? = nil) -> RoomEvent {
        // A direct conversation's events name it by id, with `"room": null`.
        let name = room.kind == .room ? (try? WireJSON.encoder.encode(room.name)).map { String(decoding: $0, as: UTF8.self) } ?? "\"\"" : "null"
        var frame = ByteBuffer()
        frame.reserveCapacity(json.readableBytes + name.utf8.count + key.utf8.count + type.utf8.count + 48)
        frame.writeString(room.kind == .room ? "{" : "{\"dm\":\(room.id.rawValue),")
        frame.writeString("\"\(key)\":")
        frame.writeImmutableBuffer(json)
        frame.writeString(",\"room\":\(name),\"type\":\"\(type)\"}")
        return RoomEvent(roomID: room.id, frame: frame, messageID: messageID)
    }

    private static func make<Payload: Encodable>(
        _ type: String, room: Room, key: String, payload: Payload, membership: MembershipChange? = nil
    ) -> RoomEvent {
        let json = ByteBuffer(bytes: (try? WireJSON.encoder.encode(payload)) ?? Data("null".utf8))
        let event = wrapping(json, as: type, key: key, room: room)
        return RoomEvent(roomID: event.roomID, frame: event.frame, membership: membership)
    }
}

/// Every user event's frame.
extension UserEvent {
    /// `voice.seat_offered` or `voice.moved`, with the token the receiver connects with.
    static func voiceToken(_ type: String, _ minted: VoiceToken, room: Room, to user: UserID) -> UserEvent {
        encoded(VoiceTokenFrame(type, channel: room.name, minted), to: user)
    }

    /// `voice.queue`: the receiver's place in the room's queue, `nil` once out of it.
    static func voiceQueue(_ position: Int?, room: Room, to user: UserID) -> UserEvent {
        encoded(VoiceQueueFrame(room: room.name, position: position), to: user)
    }

    private static func encoded(_ frame: some Encodable, to user: UserID) -> UserEvent {
        UserEvent(userID: user, frame: ByteBuffer(bytes: (try? WireJSON.encoder.encode(frame)) ?? Data("{}".utf8)))
    }
}
