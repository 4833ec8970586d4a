import EchoPluginAPI
import Foundation
import NIOCore
import Synchronization

/// What a connection's writer sends next.
enum OutboundFrame: Sendable, Equatable {
    /// A text frame's payload, encoded once and shared by every receiver.
    case text(ByteBuffer)
    /// Close the connection with this reason (session ended, token expired).
    case close(code: UInt16, reason: String)

    static func text(_ string: String) -> OutboundFrame { .text(ByteBuffer(string: string)) }
}

/// A connection's bounded queue of frames. When a client stops reading and the queue fills, the
/// connection is given up on: it never slows the others or grows without bound.
final class Outbox: Sendable {
    private struct State {
        var frames: [OutboundFrame] = []
        var isFinished = false
        var waiter: CheckedContinuation<[OutboundFrame]?, Never>?
    }

    private let capacity: Int
    private let state = Mutex(State())
    private let onOverflow: @Sendable () -> Void
    private let overflowed = Atomic<Bool>(false)

    init(capacity: Int, onOverflow: @escaping @Sendable () -> Void) {
        self.capacity = capacity
        self.onOverflow = onOverflow
    }

    /// Queues a frame; on overflow, ends the queue and calls `onOverflow` once.
    func send(_ frame: OutboundFrame) {
        let overflow: Bool = state.withLock { state in
            guard !state.isFinished else { return false }
            guard state.frames.count < capacity else {
                state.isFinished = true
                state.frames.removeAll()
                state.waiter.take()?.resume(returning: nil)
                return true
            }
            state.frames.append(frame)
            if let waiter = state.waiter.take() {
                waiter.resume(returning: state.frames)
                state.frames.removeAll(keepingCapacity: true)
            }
            return false
        }
        if overflow, !overflowed.exchange(true, ordering: .relaxed) { onOverflow() }
    }

    /// Everything queued, waiting for at least one frame; `nil` once the queue has ended.
    func nextBatch() async -> [OutboundFrame]? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                state.withLock { state in
                    if !state.frames.isEmpty {
                        let batch = state.frames
                        state.frames.removeAll(keepingCapacity: true)
                        continuation.resume(returning: batch)
                    } else if state.isFinished {
                        continuation.resume(returning: nil)
                    } else {
                        state.waiter = continuation
                    }
                }
            }
        } onCancel: {
            finish()
        }
    }

    /// Ends the queue; the writer receives what is left, then `nil`.
    func finish() {
        state.withLock { state in
            state.isFinished = true
            state.waiter.take()?.resume(returning: nil)
        }
    }

    var didOverflow: Bool { overflowed.load(ordering: .relaxed) }
}

/// The real-time connections of this instance, indexed by room and by user, so that an event is
/// handed to exactly the connections of the room's members.
final class ConnectionHub: Sendable {
    struct Connection: Sendable {
        let userID: UserID
        let sessionID: SessionID
        var rooms: Set<RoomID>
        let outbox: Outbox
        /// When the access token the connection was opened (or last renewed) with expires.
        var expiresAt: Date?
        /// Until the room list is loaded, membership changes are remembered here instead.
        var pending: [RoomID: Bool]? = [:]
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
    func register(userID: UserID, sessionID: SessionID, outbox: Outbox, expiresAt: Date?) -> Int {
        state.withLock { state in
            state.nextID += 1
            let id = state.nextID
            state.connections[id] = Connection(userID: userID, sessionID: sessionID, rooms: [], outbox: outbox, expiresAt: expiresAt)
            state.byUser[userID, default: []].insert(id)
            metrics?.setRealtimeConnections(state.connections.count)
            return id
        }
    }

    /// Starts delivery of `rooms`, corrected by membership changes seen since registration.
    func activate(_ id: Int, rooms: Set<RoomID>) {
        state.withLock { state in
            guard var connection = state.connections[id] else { return }
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

    func unregister(_ id: Int) {
        state.withLock { state in
            guard let connection = state.connections.removeValue(forKey: id) else { return }
            for room in connection.rooms { Self.remove(id, from: room, in: &state) }
            state.byUser[connection.userID]?.remove(id)
            if state.byUser[connection.userID]?.isEmpty == true { state.byUser[connection.userID] = nil }
            metrics?.setRealtimeConnections(state.connections.count)
        }
    }

    /// Hands the event to the room's connections, then applies its membership change.
    func deliver(_ event: RoomEvent) {
        let outboxes: [Outbox] = state.withLock { state in
            if case .joined(let user) = event.membership {
                for id in state.byUser[user] ?? [] {
                    if state.connections[id]?.pending != nil {
                        state.connections[id]?.pending?[event.roomID] = true
                        continue
                    }
                    state.connections[id]?.rooms.insert(event.roomID)
                    state.byRoom[event.roomID, default: []].insert(id)
                }
            }
            let receivers = (state.byRoom[event.roomID] ?? []).compactMap { state.connections[$0]?.outbox }
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
        let frame = OutboundFrame.text(event.frame)
        for outbox in outboxes { outbox.send(frame) }
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
        for outbox in outboxes { outbox.send(.close(code: 4001, reason: "session ended")) }
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
        for outbox in expired { outbox.send(.close(code: 4001, reason: "access token expired")) }
    }

    /// The sessions with open connections, and their users.
    var openSessions: [SessionID: UserID] {
        state.withLock { state in
            Dictionary(state.connections.values.map { ($0.sessionID, $0.userID) }, uniquingKeysWith: { first, _ in first })
        }
    }

    private static func remove(_ id: Int, from room: RoomID, in state: inout State) {
        state.byRoom[room]?.remove(id)
        if state.byRoom[room]?.isEmpty == true { state.byRoom[room] = nil }
    }
}
