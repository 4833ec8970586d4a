import EchoPluginAPI
import Foundation
import Testing

@testable import EchoChatServer

/// The presence board's decisions, without sockets: aggregation across instances and the purge
/// of instances gone quiet.
@Suite("Presence across instances, decided")
struct PresenceBoardTests {
    static func entry(_ user: Int64, _ status: PresenceStatus, rooms: [Int64] = [1]) -> PresenceBatch.Entry {
        PresenceBatch.Entry(user: user, username: "u\(user)", displayName: "U\(user)", status: status, rooms: rooms)
    }

    @Test("a user is online while any instance says so, idle while all say idle, offline when none holds them")
    func aggregation() {
        let board = PresenceBoard(hub: ConnectionHub())
        let user = UserID(7)
        board.apply(PresenceBatch(entries: [Self.entry(7, .idle)], full: false), from: "a")
        #expect(board.status(of: [user])[user] == .idle)
        board.apply(PresenceBatch(entries: [Self.entry(7, .online)], full: false), from: "b")
        #expect(board.status(of: [user])[user] == .online, "online on b wins over idle on a")
        board.apply(PresenceBatch(entries: [Self.entry(7, .offline, rooms: [])], full: false), from: "b")
        #expect(board.status(of: [user])[user] == .idle, "still idle on a")
        board.apply(PresenceBatch(entries: [], full: true), from: "a")
        #expect(board.status(of: [user])[user] == .offline, "a full snapshot without the user drops them")
    }

    @Test("an instance not heard from for 75 s is taken as gone, and its users go offline")
    func purge() {
        let board = PresenceBoard(hub: ConnectionHub())
        let start = ContinuousClock.now
        board.apply(PresenceBatch(entries: [Self.entry(1, .online), Self.entry(2, .online)], full: true), from: "a", at: start)
        board.apply(PresenceBatch(entries: [Self.entry(2, .idle)], full: true), from: "b", at: start + .seconds(60))
        board.purge(at: start + .seconds(70))
        #expect(board.status(of: [UserID(1), UserID(2)]) == [UserID(1): .online, UserID(2): .online], "a was heard 70 s ago")
        board.purge(at: start + .seconds(76))
        #expect(board.status(of: [UserID(1), UserID(2)]) == [UserID(1): .offline, UserID(2): .idle], "a is gone; b still holds user 2")
    }

    @Test("a local user's connections decide their status, and changes within a tick are one entry")
    func local() throws {
        let board = PresenceBoard(hub: ConnectionHub())
        let user = User(id: UserID(3), username: "cleo", displayName: "Cleo", authSource: "local", isDisabled: false, createdAt: Date(), updatedAt: Date())
        board.connected(user, connection: 1)
        board.connected(user, connection: 2)
        board.activity(user.id, connection: 1, idle: true)
        board.activity(user.id, connection: 2, idle: true)
        board.activity(user.id, connection: 2, idle: false)
        let batch = try #require(board.takeChanges(full: false))
        #expect(batch.entries.map(\.status) == [.online], "one entry: connection 2 is active")
        #expect(board.takeChanges(full: false) == nil, "nothing changed since")
        board.disconnected(user.id, connection: 2)
        #expect(try #require(board.takeChanges(full: false)).entries.map(\.status) == [.idle])
        board.disconnected(user.id, connection: 1)
        #expect(try #require(board.takeChanges(full: false)).entries.map(\.status) == [.offline])
        #expect(board.takeChanges(full: true)?.entries.isEmpty == true, "forgotten once announced offline")
    }
}
