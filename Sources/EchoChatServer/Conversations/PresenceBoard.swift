import EchoPluginAPI
import Foundation
import NIOCore
import Synchronization

/// `online`, `idle` or `offline`, in that order of precedence across a user's connections and instances.
enum PresenceStatus: String, Codable, Sendable, Comparable {
    case offline, idle, online

    private var rank: Int { self == .online ? 2 : self == .idle ? 1 : 0 }
    static func < (lhs: PresenceStatus, rhs: PresenceStatus) -> Bool { lhs.rank < rhs.rank }
}

/// What one instance tells the others about its users' presence: the changes of the last tick,
/// or (`full`) every user it has, which also says it is alive.
struct PresenceBatch: Codable, Sendable, Equatable {
    struct Entry: Codable, Sendable, Equatable {
        let user: Int64
        let username: String
        let displayName: String
        let status: PresenceStatus
        /// The rooms and conversations whose members are told.
        let rooms: [Int64]
    }
    var entries: [Entry]
    var full: Bool
}

/// Presence across instances. Each instance tracks its own connections (``connected(_:connection:)``,
/// activity, ``disconnected(_:connection:)``) and, once a second, hands the users whose status
/// changed to ``takeChanges(full:)``: many changes of one user within the second are one entry,
/// so a community of thousands does not storm. Every instance applies every batch
/// (``apply(_:from:at:)``) and tells its connections in each user's rooms when the user's status
/// across all instances changed. Every 30 s an instance sends all of its users; an instance not
/// heard from for 75 s is taken as gone, and its users go offline.
final class PresenceBoard: Sendable {
    private struct Remote {
        var seen: ContinuousClock.Instant
        var users: [UserID: PresenceBatch.Entry]
    }

    private struct State {
        /// This instance's connections of each user, and whether each is idle.
        var connections: [UserID: [Int: Bool]] = [:]
        var names: [UserID: AuthorBody] = [:]
        var dirty: Set<UserID> = []
        /// What each instance (this one included) last said of its users.
        var instances: [String: Remote] = [:]
        /// The status across instances each connection here was last told.
        var shown: [UserID: PresenceStatus] = [:]
    }

    private let state = Mutex(State())
    private let hub: ConnectionHub
    static let staleAfter: Duration = .seconds(75)

    init(hub: ConnectionHub) {
        self.hub = hub
    }

    func connected(_ user: User, connection: Int) {
        state.withLock { state in
            state.connections[user.id, default: [:]][connection] = false
            state.names[user.id] = AuthorBody(user)
            state.dirty.insert(user.id)
        }
    }

    func disconnected(_ user: UserID, connection: Int) {
        state.withLock { state in
            state.connections[user]?[connection] = nil
            state.dirty.insert(user)
        }
    }

    /// The client said it is idle (away from the keyboard, or its tab hidden) or active again.
    func activity(_ user: UserID, connection: Int, idle: Bool) {
        state.withLock { state in
            guard state.connections[user]?[connection] != nil, state.connections[user]?[connection] != idle else { return }
            state.connections[user]?[connection] = idle
            state.dirty.insert(user)
        }
    }

    /// This instance's entries for the users whose status may have changed since the last call
    /// (all of its users when `full`), or `nil` when there is nothing to say.
    func takeChanges(full: Bool) -> PresenceBatch? {
        let (users, names, connections) = state.withLock { state -> ([UserID], [UserID: AuthorBody], [UserID: [Int: Bool]]) in
            let users = full ? Array(Set(state.connections.keys).union(state.dirty)) : Array(state.dirty)
            state.dirty.removeAll()
            let snapshot = state.connections
            // Users with no connection left are announced offline once, then forgotten here.
            for user in users where state.connections[user]?.isEmpty ?? true { state.connections[user] = nil }
            return (users, state.names, snapshot)
        }
        guard !users.isEmpty || full else { return nil }
        let entries = users.compactMap { user -> PresenceBatch.Entry? in
            guard let name = names[user] else { return nil }
            let here = connections[user] ?? [:]
            let status: PresenceStatus = here.isEmpty ? .offline : here.values.contains(false) ? .online : .idle
            return PresenceBatch.Entry(
                user: user.rawValue, username: name.username, displayName: name.displayName, status: status,
                rooms: hub.rooms(of: user).map(\.rawValue).sorted())
        }
        return PresenceBatch(entries: entries, full: full)
    }

    /// Takes in an instance's batch and tells the connections here whose view changed.
    func apply(_ batch: PresenceBatch, from instance: String, at now: ContinuousClock.Instant = .now) {
        let changes = state.withLock { state -> [(PresenceBatch.Entry, PresenceStatus)] in
            var remote = state.instances[instance] ?? Remote(seen: now, users: [:])
            remote.seen = now
            var touched = Set(batch.entries.map { UserID($0.user) })
            if batch.full {
                touched.formUnion(remote.users.keys)
                remote.users = [:]
            }
            for entry in batch.entries {
                // An offline user has no connection left to name their rooms: the last known ones are told.
                let previous = remote.users[UserID(entry.user)] ?? state.instances.values.lazy.compactMap { $0.users[UserID(entry.user)] }.first
                let rooms = entry.rooms.isEmpty ? previous?.rooms ?? [] : entry.rooms
                remote.users[UserID(entry.user)] = PresenceBatch.Entry(
                    user: entry.user, username: entry.username, displayName: entry.displayName, status: entry.status, rooms: rooms)
            }
            state.instances[instance] = remote
            return Self.changes(of: touched, in: &state)
        }
        deliver(changes)
    }

    /// Forgets instances not heard from for ``staleAfter``: their users go offline.
    func purge(at now: ContinuousClock.Instant = .now) {
        let changes = state.withLock { state -> [(PresenceBatch.Entry, PresenceStatus)] in
            let stale = state.instances.filter { now - $0.value.seen > Self.staleAfter }
            guard !stale.isEmpty else { return [] }
            var touched = Set<UserID>()
            for (name, remote) in stale {
                touched.formUnion(remote.users.keys)
                state.instances[name] = nil
            }
            return Self.changes(of: touched, in: &state)
        }
        deliver(changes)
    }

    /// Each user's status across instances.
    func status(of users: [UserID]) -> [UserID: PresenceStatus] {
        state.withLock { state in
            Dictionary(users.map { ($0, Self.aggregate($0, state).status) }, uniquingKeysWith: { first, _ in first })
        }
    }

    // MARK: Helpers

    private static func aggregate(_ user: UserID, _ state: State) -> (status: PresenceStatus, entry: PresenceBatch.Entry?, rooms: Set<Int64>) {
        var status = PresenceStatus.offline
        var entry: PresenceBatch.Entry?
        var rooms = Set<Int64>()
        for remote in state.instances.values {
            guard let found = remote.users[user] else { continue }
            rooms.formUnion(found.rooms)
            if entry == nil || found.status > status { (status, entry) = (found.status, found) }
        }
        return (status, entry, rooms)
    }

    /// The users among `touched` whose status across instances changed, with their rooms.
    private static func changes(of touched: Set<UserID>, in state: inout State) -> [(PresenceBatch.Entry, PresenceStatus)] {
        var changes: [(PresenceBatch.Entry, PresenceStatus)] = []
        for user in touched {
            let (status, entry, rooms) = aggregate(user, state)
            let before = state.shown[user] ?? .offline
            if status != before, let entry {
                changes.append((PresenceBatch.Entry(user: entry.user, username: entry.username, displayName: entry.displayName, status: status, rooms: rooms.sorted()), status))
            }
            state.shown[user] = status == .offline ? nil : status
            if status == .offline {
                // Nobody holds this user any more: offline entries need not be remembered.
                for name in state.instances.keys where state.instances[name]?.users[user]?.status == .offline { state.instances[name]?.users[user] = nil }
            }
        }
        return changes
    }

    private func deliver(_ changes: [(PresenceBatch.Entry, PresenceStatus)]) {
        for (entry, status) in changes {
            let frame = PresenceFrame(user: AuthorBody(username: entry.username, displayName: entry.displayName), status: status.rawValue)
            guard let buffer = try? WireJSON.buffer(frame) else { continue }
            hub.deliver(buffer, toMembersOf: Set(entry.rooms.map(RoomID.init(rawValue:))), except: UserID(entry.user))
        }
    }
}

/// `presence`: `{status, type, user}`, to the connections of users sharing a room or conversation.
struct PresenceFrame: Encodable {
    let type = "presence"
    let user: AuthorBody
    let status: String
}
