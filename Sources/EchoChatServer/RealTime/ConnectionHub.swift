import EchoPluginAPI
import Foundation
import NIOCore
import Synchronization

/// The real-time connections of this instance, indexed by room and by user, so that an event is
/// handed to exactly the connections of the room's members.
final class ConnectionHub: Sendable {
    struct Connection: Sendable {
        let userID: UserID
        let sessionID: SessionID
        var rooms: Set<RoomID>
        let outbox: Outbox
        let liveness: Liveness
        /// When the client was last heard from, and last pinged.
        var lastHeard: NIODeadline
        var lastPinged: NIODeadline?
        /// When the access token the connection was opened (or last renewed) with expires.
        var expiresAt: Date?
        /// Until the room list is loaded, membership changes are remembered here instead.
        var pending: [RoomID: Bool]? = [:]
        /// The users this user blocks: their messages are not delivered here. Set by activation
        /// unless a change of the block list arrived first (that one is newer).
        var blocked: Set<UserID>?
    }

    private struct State {
        var nextID = 0
        var connections: [Int: Connection] = [:]
        var byRoom: [RoomID: Set<Int>] = [:]
        var byUser: [UserID: Set<Int>] = [:]
    }

    private let state = Mutex(State())
    private let metrics: HostMetrics?

    init(metrics: HostMetrics? = nil) {
        self.metrics = metrics
    }

    /// Registers a connection that receives nothing until ``activate(_:rooms:)``; returns its handle.
    ///
    /// Registering before the room list is read means a join or ban committed while it is read is
    /// not lost: it is remembered and applied over the list.
    func register(userID: UserID, sessionID: SessionID, outbox: Outbox, liveness: Liveness, expiresAt: Date?) -> Int {
        state.withLock { state in
            state.nextID += 1
            let id = state.nextID
            state.connections[id] = Connection(
                userID: userID, sessionID: sessionID, rooms: [], outbox: outbox, liveness: liveness, lastHeard: .now(), expiresAt: expiresAt)
            state.byUser[userID, default: []].insert(id)
            metrics?.setRealtimeConnections(state.connections.count)
            return id
        }
    }

    /// Starts delivery of `rooms`, corrected by membership changes seen since registration,
    /// leaving out messages by the users in `blocked`.
    func activate(_ id: Int, rooms: Set<RoomID>, blocked: Set<UserID> = []) {
        state.withLock { state in
            guard var connection = state.connections[id] else { return }
            if connection.blocked == nil { connection.blocked = blocked }
            var current = rooms
            for (room, joined) in connection.pending ?? [:] {
                if joined { current.insert(room) } else { current.remove(room) }
            }
            connection.pending = nil
            connection.rooms = current
            state.connections[id] = connection
            for room in current { state.byRoom[room, default: []].insert(id) }
        }
    }

    /// Forgets a connection; returns its user when it was their last one on this instance.
    @discardableResult
    func unregister(_ id: Int) -> UserID? {
        state.withLock { state in
            guard let connection = state.connections.removeValue(forKey: id) else { return nil }
            for room in connection.rooms { Self.remove(id, from: room, in: &state) }
            state.byUser[connection.userID]?.remove(id)
            metrics?.setRealtimeConnections(state.connections.count)
            guard state.byUser[connection.userID]?.isEmpty == true else { return nil }
            state.byUser[connection.userID] = nil
            return connection.userID
        }
    }

    /// Hands the event to the room's connections (but not to those of users blocking its
    /// message's author), then applies its membership change.
    func deliver(_ event: RoomEvent) {
        let outboxes: [Outbox] = state.withLock { state in
            switch event.membership {
            case .joined(let user): Self.subscribe([user], to: event.roomID, in: &state)
            case .joinedAll(let users): Self.subscribe(users, to: event.roomID, in: &state)
            case .left, nil: break
            }
            let receivers = (state.byRoom[event.roomID] ?? []).compactMap { id -> Outbox? in
                guard let connection = state.connections[id] else { return nil }
                if let author = event.authorID, let blocked = connection.blocked, !blocked.isEmpty, blocked.contains(author) { return nil }
                return connection.outbox
            }
            if case .left(let user) = event.membership {
                for id in state.byUser[user] ?? [] {
                    if state.connections[id]?.pending != nil {
                        state.connections[id]?.pending?[event.roomID] = false
                        continue
                    }
                    state.connections[id]?.rooms.remove(event.roomID)
                    Self.remove(id, from: event.roomID, in: &state)
                }
            }
            return receivers
        }
        Self.send(.text(event.frame), to: outboxes)
    }

    /// Hands a user's own event to each of their connections, taking their new block list.
    func deliver(_ event: UserEvent) {
        let outboxes = state.withLock { state in
            let ids = state.byUser[event.userID] ?? []
            if let blocked = event.blocked {
                for id in ids { state.connections[id]?.blocked = blocked }
            }
            return ids.compactMap { state.connections[$0]?.outbox }
        }
        Self.send(.text(event.frame), to: outboxes)
    }

    /// The rooms and conversations the user's connections here receive.
    func rooms(of user: UserID) -> Set<RoomID> {
        state.withLock { state in
            (state.byUser[user] ?? []).reduce(into: Set<RoomID>()) { rooms, id in rooms.formUnion(state.connections[id]?.rooms ?? []) }
        }
    }

    /// Whether the connection receives the room's events.
    func receives(_ connection: Int, room: RoomID) -> Bool {
        state.withLock { $0.connections[connection]?.rooms.contains(room) ?? false }
    }

    /// Hands one frame to every connection receiving any of `rooms` (once each), but not to
    /// `user`'s own: a presence change reaches those who share a room with them.
    func deliver(_ frame: ByteBuffer, toMembersOf rooms: Set<RoomID>, except user: UserID) {
        let outboxes: [Outbox] = state.withLock { state in
            var ids = Set<Int>()
            for room in rooms { ids.formUnion(state.byRoom[room] ?? []) }
            return ids.compactMap { id in
                guard let connection = state.connections[id], connection.userID != user else { return nil }
                return connection.outbox
            }
        }
        Self.send(.text(frame), to: outboxes)
    }

    /// Whether the user has a real-time connection on this instance.
    func isConnected(_ userID: UserID) -> Bool {
        state.withLock { $0.byUser[userID] != nil }
    }

    /// Closes the connections of an ended session or a disabled user.
    func end(_ signal: SessionSignal) {
        let outboxes: [Outbox] = state.withLock { state in
            switch signal {
            case .sessionEnded(let session):
                return state.connections.values.filter { $0.sessionID == session }.map(\.outbox)
            case .userDisabled(let user):
                return (state.byUser[user] ?? []).compactMap { state.connections[$0]?.outbox }
            }
        }
        Self.send(.close(code: 4001, reason: "session ended"), to: outboxes)
    }

    /// Moves a connection's expiry (the client sent a fresh access token).
    func renew(_ id: Int, expiresAt: Date?) {
        state.withLock { $0.connections[id]?.expiresAt = expiresAt }
    }

    /// Closes the connections whose access token expired by `now`.
    func closeExpired(at now: Date) {
        let expired = state.withLock { state in
            var outboxes: [Outbox] = []
            for (id, connection) in state.connections where connection.expiresAt.map({ $0 <= now }) ?? false {
                state.connections[id]?.expiresAt = nil  // one close frame is enough
                outboxes.append(connection.outbox)
            }
            return outboxes
        }
        Self.send(.close(code: 4001, reason: "access token expired"), to: expired)
    }

    /// The heartbeat: pings each connection that has been silent for `interval` and drops each one
    /// silent for twice as long. Returns how many were dropped.
    @discardableResult
    func heartbeat(at now: NIODeadline, interval: TimeAmount) -> Int {
        let (silent, dead): ([Outbox], [Outbox]) = state.withLock { state in
            var silent: [Outbox] = []
            var dead: [Outbox] = []
            for (id, connection) in state.connections {
                if connection.liveness.takeHeard() {
                    state.connections[id]?.lastHeard = now
                } else if now - connection.lastHeard >= interval * 2 {
                    dead.append(connection.outbox)
                } else if now - connection.lastHeard >= interval, (connection.lastPinged ?? .uptimeNanoseconds(0)) < connection.lastHeard {
                    state.connections[id]?.lastPinged = now
                    silent.append(connection.outbox)
                }
            }
            return (silent, dead)
        }
        for outbox in silent { outbox.ping() }
        for outbox in dead { outbox.drop() }
        return dead.count
    }

    /// The sessions with open connections, and their users.
    var openSessions: [SessionID: UserID] {
        state.withLock { state in
            Dictionary(state.connections.values.map { ($0.sessionID, $0.userID) }, uniquingKeysWith: { first, _ in first })
        }
    }

    /// Queues `frame` on every outbox, then wakes each event loop once for all of its connections
    /// that need writing, rather than once per connection.
    private static func send(_ frame: OutboundFrame, to outboxes: [Outbox]) {
        var drains: [ObjectIdentifier: (any EventLoop, [Outbox])] = [:]
        for outbox in outboxes where outbox.enqueue(frame) {
            let loop = outbox.eventLoop
            drains[ObjectIdentifier(loop), default: (loop, [])].1.append(outbox)
        }
        for (loop, outboxes) in drains.values {
            loop.execute { for outbox in outboxes { outbox.drain() } }
        }
    }

    private static func subscribe(_ users: [UserID], to room: RoomID, in state: inout State) {
        for user in users {
            for id in state.byUser[user] ?? [] {
                if state.connections[id]?.pending != nil {
                    state.connections[id]?.pending?[room] = true
                    continue
                }
                state.connections[id]?.rooms.insert(room)
                state.byRoom[room, default: []].insert(id)
            }
        }
    }

    private static func remove(_ id: Int, from room: RoomID, in state: inout State) {
        state.byRoom[room]?.remove(id)
        if state.byRoom[room]?.isEmpty == true { state.byRoom[room] = nil }
    }
}
