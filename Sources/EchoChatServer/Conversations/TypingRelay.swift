import EchoPluginAPI
import Foundation
import Synchronization

/// Typing indicators: ephemeral `typing` events, never stored, at most one per user and
/// conversation every ``interval`` (clients show one for ``shownFor`` unless renewed).
final class TypingRelay: Sendable {
    let storage: any Storage
    let bus: any EventBus
    let hub: ConnectionHub
    private let last = Mutex<[String: ContinuousClock.Instant]>([:])

    static let interval: Duration = .seconds(2)
    static let shownFor: Duration = .seconds(5)

    init(storage: any Storage, bus: any EventBus, hub: ConnectionHub) {
        self.storage = storage
        self.bus = bus
        self.hub = hub
    }

    /// A `typing` frame from a connection: relayed to the room or conversation when the
    /// connection receives it and the user has not typed there within ``interval``.
    func typing(_ user: User, connection: Int, room name: String?, dm: Int64?) async -> ErrorFrame? {
        let key: String
        switch (name.map(RoomNames.normalized), dm) {
        case (let name?, nil) where RoomNames.isValid(name): key = "\(user.id) r \(name.lowercased())"
        case (nil, let dm?) where dm > 0: key = "\(user.id) d \(dm)"
        default: return ErrorFrame(code: "invalid_frame", message: "typing names a \"room\" (a room name) or a \"dm\" (a conversation id)")
        }
        // Names are valid room names (80 characters at most), so the map's keys stay small.
        guard admit(key) else { return nil }
        let room: Room?
        do {
            if let dm {
                room = try await storage.room(id: RoomID(dm))
            } else {
                room = try await storage.room(named: RoomNames.normalized(name ?? ""))
            }
        } catch {
            return ErrorFrame(code: "storage_unavailable", message: "typing could not be relayed; try again")
        }
        guard let room, (dm == nil) == (room.kind == .room), hub.receives(connection, room: room.id) else {
            return ErrorFrame(code: "not_member", message: "typing only where you receive the conversation")
        }
        var event = RoomEvent.typing(AuthorBody(user), room: room)
        event.authorID = user.id
        await bus.publish(event)
        return nil
    }

    /// The most users and places remembered; beyond it (after forgetting the expired ones) new
    /// ones are not relayed until some expire.
    static let capacity = 50_000

    private func admit(_ key: String) -> Bool {
        let now = ContinuousClock.now
        return last.withLock { last in
            if let previous = last[key], now - previous < Self.interval { return false }
            if last.count >= Self.capacity { last = last.filter { now - $0.value < Self.interval } }
            guard last.count < Self.capacity else { return false }
            last[key] = now
            return true
        }
    }
}
