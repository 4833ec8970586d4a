import EchoPluginAPI
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Sends this instance's presence changes once a second (all of its users every 30 s) and
/// forgets instances that went quiet.
struct PresenceService: Service {
    let board: PresenceBoard
    let bus: any EventBus
    static let tick: Duration = .seconds(1)
    static let fullEvery = 30

    func run() async throws {
        var ticks = 0
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await Task.sleep(for: Self.tick)
            ticks += 1
            if let batch = board.takeChanges(full: ticks % Self.fullEvery == 0) { await bus.publish(batch) }
            board.purge()
        }
    }
}

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
        switch (name, dm) {
        case (let name?, nil): key = "\(user.id) r \(name.lowercased())"
        case (nil, let dm?): key = "\(user.id) d \(dm)"
        default: return ErrorFrame(code: "invalid_frame", message: "typing names a \"room\" or a \"dm\"")
        }
        guard admit(key) else { return nil }
        let room: Room?
        if let dm {
            room = dm > 0 ? try? await storage.room(id: RoomID(dm)) : nil
        } else {
            room = try? await storage.room(named: name ?? "")
        }
        guard let room, (dm == nil) == (room.kind == .room), hub.receives(connection, room: room.id) else {
            return ErrorFrame(code: "not_member", message: "typing only where you receive the conversation")
        }
        var event = RoomEvent.typing(AuthorBody(user), room: room)
        event.authorID = user.id
        await bus.publish(event)
        return nil
    }

    private func admit(_ key: String) -> Bool {
        let now = ContinuousClock.now
        return last.withLock { last in
            if let previous = last[key], now - previous < Self.interval { return false }
            if last.count > 50_000 { last = last.filter { now - $0.value < Self.interval } }
            last[key] = now
            return true
        }
    }
}
