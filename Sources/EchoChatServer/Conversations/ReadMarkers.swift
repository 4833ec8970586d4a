import EchoPluginAPI
import Foundation
import Logging

/// Read markers and unread counts: `POST …/read`, the counts in the room and conversation
/// lists, and `read.updated` to the reader's own sockets, so that their other tabs and devices
/// keep in step.
struct ReadMarkers: Sendable {
    let storage: any Storage
    let bus: any EventBus

    /// The storage's markers, or 503 `not_supported` when the storage plugin keeps none.
    var store: any UnreadStore {
        get throws {
            guard let store = storage as? any UnreadStore else {
                throw EchoError.unavailable("not_supported", "the storage plugin in use keeps no read markers")
            }
            return store
        }
    }

    /// Moves the caller's marker forward to one of the room's messages (never back); answers the
    /// marker and the counts after it.
    func markRead(_ access: RoomAccess, upTo messageID: MessageID) async throws -> ReadStateBody {
        try access.require(.view)
        guard access.membership != nil else { throw EchoError.forbidden("not_member", "join the room first") }
        let store = try store
        let user = access.principal.user.id
        let moved: Bool
        do {
            moved = try await store.markRead(messageID, by: user, in: access.room.id, at: Date())
        } catch let error as StorageError where error.isNotFound {
            throw EchoError.notFound("no such message in this room", code: "message_not_found")
        }
        let marker = try await store.readMarkers(of: user, in: [access.room.id])[access.room.id] ?? messageID
        let counts = try await self.counts(of: user, in: [access.room.id])[access.room.id] ?? UnreadCount(unread: 0, mentions: 0)
        let state = ReadStateBody(room: access.room, messageID: marker, counts: counts)
        if moved { await bus.publish(UserEvent(userID: user, frame: try WireJSON.buffer(ReadUpdatedFrame(state)))) }
        return state
    }

    /// The user's counts in `rooms`, without the messages of users they block (which they never
    /// see); empty with a storage that keeps no markers.
    func counts(of userID: UserID, in rooms: [RoomID]) async throws -> [RoomID: UnreadCount] {
        guard let store = storage as? any UnreadStore, !rooms.isEmpty else { return [:] }
        let blocked = try await (storage as? any DirectMessageStore)?.blockedUsers(by: userID).map(\.blockedID) ?? []
        return try await store.unreadCounts(of: userID, in: rooms, excludingAuthors: Set(blocked))
    }

    /// A new member has read what was posted before they came.
    static func markAllRead(_ userID: UserID, in roomID: RoomID, storage: any Storage, logger: Logger) async {
        guard let store = storage as? any UnreadStore else { return }
        do {
            if let newest = try await storage.messages(in: roomID, before: nil, limit: 1).first {
                _ = try await store.markRead(newest.id, by: userID, in: roomID, at: Date())
            }
        } catch {
            logger.warning("a new member's read marker could not be set", metadata: ["room_id": "\(roomID)", "user_id": "\(userID)"])
        }
    }
}
