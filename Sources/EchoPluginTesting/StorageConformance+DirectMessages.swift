public import EchoPluginAPI
import Foundation

extension StorageConformance {
    /// The behaviours the host relies on from a ``DirectMessageStore``.
    ///
    /// ```swift
    /// @Test(arguments: StorageConformance.directMessageChecks.map(\.name))
    /// func directMessages(_ name: String) async throws {
    ///     try await StorageConformance.runDirectMessages(name) { try await MyStorage(configuration: .init(), context: context) }
    /// }
    /// ```
    public static var directMessageChecks: [DirectMessageCheck] {
        [
            DirectMessageCheck(name: "a pair's one-to-one conversation is found again, also under concurrent opens", body: directPairs),
            DirectMessageCheck(name: "conversations hold messages and members but stay out of the room directory", body: directRows),
            DirectMessageCheck(name: "a group takes members up to its limit, in joining order", body: directGroups),
            DirectMessageCheck(name: "blocks, policies and shared rooms are kept", body: directBlocks),
        ]
    }

    /// A named behaviour of a storage with direct conversations.
    public struct DirectMessageCheck: Sendable {
        /// What the check shows.
        public let name: String
        let body: @Sendable (any DirectMessageStore) async throws -> Void
    }

    /// Runs the direct-message check called `name` against a fresh storage.
    public static func runDirectMessages(_ name: String, makeStorage: () async throws -> any DirectMessageStore) async throws {
        guard let check = directMessageChecks.first(where: { $0.name == name }) else { throw ConformanceFailure("no check named \(name)") }
        let storage = try await makeStorage()
        try await withRunningStorage(storage) { _ in try await check.body(storage) }
    }

    static func directUsers(_ storage: any DirectMessageStore, _ names: [String]) async throws -> [User] {
        var users: [User] = []
        for name in names { users.append(try await storage.createUser(newUser(name), credential: nil)) }
        return users
    }

    static func directPairs(_ storage: any DirectMessageStore) async throws {
        let users = try await directUsers(storage, ["alice", "bob", "carol"])
        let (alice, bob, carol) = (users[0].id, users[1].id, users[2].id)
        let (first, created) = try await storage.openDirectConversation(between: alice, and: bob, at: t0)
        try expect(created, "the first open creates the conversation")
        try expect(first.room.kind == .direct && first.name == nil, "a one-to-one conversation: \(first.room.kind)")
        try expect(first.memberIDs == [alice, bob], "both are members, the opener first: \(first.memberIDs)")
        let (again, createdAgain) = try await storage.openDirectConversation(between: bob, and: alice, at: t0.addingTimeInterval(5))
        try expect(!createdAgain && again.id == first.id, "found again from the other side")
        // Twenty concurrent opens of one new pair find one conversation.
        let ids = try await withThrowingTaskGroup(of: (RoomID, Bool).self) { group in
            for index in 0..<20 {
                group.addTask {
                    let (conversation, created) = try await storage.openDirectConversation(
                        between: index % 2 == 0 ? alice : carol, and: index % 2 == 0 ? carol : alice, at: t0)
                    return (conversation.id, created)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        try expect(Set(ids.map(\.0)).count == 1, "one conversation for the pair: \(Set(ids.map(\.0)))")
        try expect(ids.filter(\.1).count == 1, "created exactly once: \(ids.filter(\.1).count)")
        try expect(Set(try await storage.directConversations(of: alice).map(\.id)) == [first.id, ids[0].0], "alice's two conversations")
        do {
            _ = try await storage.openDirectConversation(between: alice, and: alice, at: t0)
            throw ConformanceFailure("a conversation with oneself is refused")
        } catch is StorageError {}
    }

    static func directRows(_ storage: any DirectMessageStore) async throws {
        let users = try await directUsers(storage, ["alice", "bob", "carol"])
        let (alice, bob, carol) = (users[0].id, users[1].id, users[2].id)
        _ = try await storage.createRoom(room("Lobby"), owner: carol)
        let (direct, _) = try await storage.openDirectConversation(between: alice, and: bob, at: t0)
        let group = try await storage.createGroupConversation(named: "Plans", members: [carol, alice], at: t0.addingTimeInterval(1))
        try expect(group.room.kind == .group && group.name == "Plans", "a named group")
        try expect(try await storage.directConversation(id: group.id)?.memberIDs == [carol, alice], "read back")
        try expect(try await storage.room(named: direct.room.name) == nil, "not found by its stored name")
        try expect(try await storage.room(named: direct.room.name.lowercased()) == nil, "nor in lower case")
        try expect(try await storage.room(id: direct.id)?.kind == .direct, "found by id, with its kind")
        try expect(try await storage.rooms(visibleTo: alice).map(\.room.name) == ["Lobby"], "not listed for a member")
        try expect(try await storage.allRooms(for: alice).map(\.room.name) == ["Lobby"], "not listed for an administrator")
        try expect(Set(try await storage.roomIDs(of: alice)) == [direct.id, group.id], "a member's room ids include them")
        let lobby = try await storage.room(named: "Lobby")!
        try expect(try await storage.directConversation(id: lobby.id) == nil, "a room is no conversation")
        // Messages: the newest not deleted is the conversation's last, and orders the list.
        let posted = try await storage.appendMessages([
            NewMessage(roomID: direct.id, authorID: alice, body: "hi bob", createdAt: t0.addingTimeInterval(2)),
            NewMessage(roomID: direct.id, authorID: bob, body: "hi alice", createdAt: t0.addingTimeInterval(3)),
        ])
        try expect(try await storage.directConversation(id: direct.id)?.lastMessage?.body == "hi alice", "the newest message")
        try expect(try await storage.directConversations(of: alice).map(\.id) == [direct.id, group.id], "the one with messages first")
        _ = try await storage.appendMessages([NewMessage(roomID: group.id, authorID: carol, body: "plans?", createdAt: t0.addingTimeInterval(4))])
        try expect(try await storage.directConversations(of: alice).map(\.id) == [group.id, direct.id], "the newest message first")
        _ = try await storage.deleteMessage(posted[1].message.id, at: t0.addingTimeInterval(5), audit: nil)
        try expect(try await storage.directConversation(id: direct.id)?.lastMessage?.body == "hi bob", "a deleted message is not the last")
        try expect(try await storage.messages(in: direct.id, before: nil, limit: 10).map(\.body) == ["hi bob"], "history as for rooms")
        try expect(try await storage.removeMember(alice, from: group.id, audit: nil), "leaving")
        try expect(try await storage.directConversations(of: alice).map(\.id) == [direct.id], "a conversation left is no longer listed")
        try expect(try await storage.directConversation(id: group.id)?.memberIDs == [carol], "and lists its members without her")
    }

    static func directGroups(_ storage: any DirectMessageStore) async throws {
        let users = try await directUsers(storage, ["u0", "u1", "u2", "u3", "u4", "u5"])
        let group = try await storage.createGroupConversation(named: nil, members: [users[0].id, users[1].id], at: t0)
        try expect(group.name == nil, "an unnamed group")
        try expect(try await storage.addConversationMember(users[2].id, to: group.id, at: t0.addingTimeInterval(1), maxMembers: 4), "added")
        try expect(!(try await storage.addConversationMember(users[2].id, to: group.id, at: t0, maxMembers: 4)), "twice is a no-op")
        // Concurrent additions never pass the limit.
        let outcomes = await withTaskGroup(of: Bool.self) { tasks in
            for user in users[3...] {
                tasks.addTask { (try? await storage.addConversationMember(user.id, to: group.id, at: t0.addingTimeInterval(2), maxMembers: 4)) == true }
            }
            return await tasks.reduce(into: []) { $0.append($1) }
        }
        try expect(outcomes.filter { $0 }.count == 1, "one of three fits: \(outcomes)")
        let members = try await storage.directConversation(id: group.id)?.memberIDs ?? []
        try expect(members.count == 4 && Array(members.prefix(3)) == users.prefix(3).map(\.id), "joining order: \(members)")
        // One of the three who raced is still outside: the full group refuses them.
        guard let outsider = users[3...].first(where: { !members.contains($0.id) }) else { throw ConformanceFailure("someone was left out") }
        do {
            _ = try await storage.addConversationMember(outsider.id, to: group.id, at: t0, maxMembers: 4)
            throw ConformanceFailure("a full group refuses a member")
        } catch let error as StorageError {
            try expect(error.isConflict, "a full group is a conflict, not \(error)")
        }
        let (direct, _) = try await storage.openDirectConversation(between: users[0].id, and: users[1].id, at: t0)
        do {
            _ = try await storage.addConversationMember(users[2].id, to: direct.id, at: t0, maxMembers: 10)
            throw ConformanceFailure("a one-to-one conversation takes no third member")
        } catch let error as StorageError {
            try expect(error.isNotFound, "no such group, not \(error)")
        }
    }

    static func directBlocks(_ storage: any DirectMessageStore) async throws {
        let users = try await directUsers(storage, ["alice", "bob", "carol", "dave"])
        let (alice, bob, carol, dave) = (users[0].id, users[1].id, users[2].id, users[3].id)
        try expect(try await storage.directMessagePolicy(of: alice) == .sharedRooms, "shared rooms by default")
        try await storage.setDirectMessagePolicy(.nobody, of: alice)
        try await storage.setDirectMessagePolicy(.everyone, of: alice)
        try expect(try await storage.directMessagePolicy(of: alice) == .everyone, "the last policy set")
        try await storage.block(bob, by: alice, at: t0)
        try await storage.block(bob, by: alice, at: t0.addingTimeInterval(9))
        try await storage.block(carol, by: alice, at: t0.addingTimeInterval(1))
        try await storage.block(alice, by: dave, at: t0)
        let blocked = try await storage.blockedUsers(by: alice)
        try expect(blocked.map(\.blockedID) == [carol, bob], "newest first: \(blocked.map(\.blockedID))")
        try expect(blocked.last?.createdAt == t0, "blocking twice keeps the first time")
        try expect(try await storage.blocks(between: alice, and: [bob, carol, dave]) == [bob, carol, dave], "both directions")
        try expect(try await storage.blocks(between: bob, and: [alice, carol]) == [alice], "seen from the blocked side")
        try expect(try await storage.blocks(between: carol, and: []) == [], "no one asked about")
        try expect(try await storage.unblock(bob, by: alice), "lifted")
        try expect(!(try await storage.unblock(bob, by: alice)), "lifting twice is a no-op")
        try expect(try await storage.blocks(between: alice, and: [bob]) == [], "gone")
        // Shared rooms: a room counts, a conversation does not.
        _ = try await storage.openDirectConversation(between: alice, and: bob, at: t0)
        try expect(!(try await storage.sharesRoom(alice, bob)), "a conversation is not a shared room")
        let lobby = try await storage.createRoom(room("Lobby"), owner: alice)
        _ = try await storage.addMember(Membership(roomID: lobby.id, userID: bob, role: .member, joinedAt: t0))
        let shared = (try await storage.sharesRoom(alice, bob), try await storage.sharesRoom(bob, alice))
        try expect(shared.0 && shared.1, "a room is")
        try expect(!(try await storage.sharesRoom(alice, carol)), "carol is in none")
    }
}
