public import EchoPluginAPI
import Foundation

extension StorageConformance {
    /// The behaviours the host relies on from an ``UnreadStore``.
    ///
    /// ```swift
    /// @Test(arguments: StorageConformance.unreadChecks.map(\.name))
    /// func unread(_ name: String) async throws {
    ///     try await StorageConformance.runUnread(name) { try await MyStorage(configuration: .init(), context: context) }
    /// }
    /// ```
    public static var unreadChecks: [UnreadCheck] {
        [
            UnreadCheck(name: "counts follow posts, reads, deletions and mentions; a marker never moves back", body: unreadCounting),
            UnreadCheck(name: "mentions are kept, replaced after an edit, and forgotten with their message", body: unreadMentions),
            UnreadCheck(name: "concurrent posts in one room are all counted, in batches too", body: unreadConcurrent),
        ]
    }

    /// A named behaviour of a storage with read markers.
    public struct UnreadCheck: Sendable {
        /// What the check shows.
        public let name: String
        let body: @Sendable (any UnreadStore) async throws -> Void
    }

    /// Runs the unread check called `name` against a fresh storage.
    public static func runUnread(_ name: String, makeStorage: () async throws -> any UnreadStore) async throws {
        guard let check = unreadChecks.first(where: { $0.name == name }) else { throw ConformanceFailure("no check named \(name)") }
        let storage = try await makeStorage()
        try await withRunningStorage(storage) { _ in try await check.body(storage) }
    }

    /// A room of alice (owner), bob and carol.
    static func unreadSetUp(_ storage: any UnreadStore) async throws -> (Room, User, User, User) {
        var users: [User] = []
        for name in ["alice", "bob", "carol"] { users.append(try await storage.createUser(newUser(name), credential: nil)) }
        let lobby = try await storage.createRoom(room("Lobby"), owner: users[0].id)
        for user in users.dropFirst() {
            _ = try await storage.addMember(Membership(roomID: lobby.id, userID: user.id, role: .member, joinedAt: t0))
        }
        return (lobby, users[0], users[1], users[2])
    }

    static func post(_ storage: any UnreadStore, _ body: String, by author: User, in room: Room, mentions: MessageMentions = .none) async throws -> MessageID {
        var message = NewMessage(roomID: room.id, authorID: author.id, body: body, createdAt: t0)
        message.mentions = mentions
        return try await storage.appendMessages([message])[0].message.id
    }

    static func unreadCounting(_ storage: any UnreadStore) async throws {
        let (lobby, alice, bob, carol) = try await unreadSetUp(storage)
        let counts = { @Sendable (user: User) async throws -> UnreadCount? in try await storage.unreadCounts(of: user.id, in: [lobby.id])[lobby.id] }
        try expect(try await counts(bob) == UnreadCount(unread: 0, mentions: 0), "an empty room")
        let m1 = try await post(storage, "one", by: alice, in: lobby)
        let m2 = try await post(storage, "two @bob", by: alice, in: lobby, mentions: MessageMentions(users: [bob.id]))
        _ = try await post(storage, "three @room", by: alice, in: lobby, mentions: MessageMentions(room: true))
        try expect(try await counts(bob) == UnreadCount(unread: 3, mentions: 2), "bob: three unread, two mentioning him")
        try expect(try await counts(alice) == UnreadCount(unread: 0, mentions: 0), "the author has read her own")
        try expect(try await storage.readMarkers(of: alice.id, in: [lobby.id])[lobby.id] != nil, "posting set alice's marker")
        let m4 = try await post(storage, "four", by: bob, in: lobby)
        try expect(try await counts(bob) == UnreadCount(unread: 0, mentions: 0), "who posts has read what came before")
        try expect(try await counts(alice) == UnreadCount(unread: 1, mentions: 0), "alice: bob's one")
        let m5 = try await post(storage, "@bob @room", by: alice, in: lobby, mentions: MessageMentions(users: [bob.id], room: true))
        try expect(try await counts(bob) == UnreadCount(unread: 1, mentions: 1), "a message mentioning bob twice counts once")
        _ = try await storage.deleteMessage(m5, at: t0, audit: nil)
        try expect(try await counts(bob) == UnreadCount(unread: 0, mentions: 0), "a deleted message is not unread")
        try expect(try await counts(carol) == UnreadCount(unread: 4, mentions: 1), "carol: four left, one mentioning the room")
        try expect(try await storage.markRead(m2, by: carol.id, in: lobby.id, at: t0), "carol reads up to two")
        try expect(try await counts(carol) == UnreadCount(unread: 2, mentions: 1), "after reading: three and four")
        try expect(!(try await storage.markRead(m1, by: carol.id, in: lobby.id, at: t0)), "a marker never moves back")
        try expect(try await storage.readMarkers(of: carol.id, in: [lobby.id]) == [lobby.id: m2], "still at two")
        try expect(try await storage.markRead(m4, by: carol.id, in: lobby.id, at: t0), "to the end")
        try expect(try await counts(carol) == UnreadCount(unread: 0, mentions: 0), "all read")
        // The messages of a blocked author are left out when asked.
        _ = try await post(storage, "hello @carol", by: bob, in: lobby, mentions: MessageMentions(users: [carol.id]))
        _ = try await post(storage, "and from me", by: alice, in: lobby)
        let hidingBob = try await storage.unreadCounts(of: carol.id, in: [lobby.id], excludingAuthors: [bob.id])[lobby.id]
        try expect(hidingBob == UnreadCount(unread: 1, mentions: 0), "bob's message left out: \(String(describing: hidingBob))")
        try expect(try await counts(carol) == UnreadCount(unread: 2, mentions: 1), "and counted when not")
        let other = try await storage.createRoom(room("Other"), owner: alice.id)
        do {
            _ = try await storage.markRead(m1, by: carol.id, in: other.id, at: t0)
            throw ConformanceFailure("a message of another room cannot be a marker")
        } catch let error as StorageError {
            try expect(error.isNotFound, "notFound, not \(error)")
        }
        try expect(try await storage.unreadCounts(of: carol.id, in: [other.id]) == [other.id: UnreadCount(unread: 0, mentions: 0)], "an empty room")
    }

    static func unreadMentions(_ storage: any UnreadStore) async throws {
        let (lobby, alice, bob, carol) = try await unreadSetUp(storage)
        let plain = try await post(storage, "plain", by: alice, in: lobby)
        let named = try await post(storage, "@bob @carol", by: alice, in: lobby, mentions: MessageMentions(users: [carol.id, bob.id]))
        let everyone = try await post(storage, "@room", by: alice, in: lobby, mentions: MessageMentions(room: true))
        let found = try await storage.mentions(in: [plain, named, everyone])
        try expect(found[plain] == nil, "no mentions, not listed")
        try expect(Set(found[named]?.users ?? []) == [bob.id, carol.id] && found[named]?.room == false, "both users: \(String(describing: found[named]))")
        try expect(found[everyone] == MessageMentions(users: [], room: true), "the room")
        try await storage.setMentions(MessageMentions(users: [carol.id]), of: named)
        try expect(try await storage.mentions(in: [named])[named] == MessageMentions(users: [carol.id]), "replaced")
        try expect(try await storage.unreadCounts(of: bob.id, in: [lobby.id])[lobby.id]?.mentions == 1, "bob is mentioned by the room only now")
        _ = try await storage.deleteMessage(everyone, at: t0, audit: nil)
        try expect(try await storage.mentions(in: [everyone]).isEmpty, "forgotten with the message")
    }

    static func unreadConcurrent(_ storage: any UnreadStore) async throws {
        let (lobby, alice, bob, carol) = try await unreadSetUp(storage)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<10 {
                group.addTask {
                    for batch in 0..<4 {
                        let author = (task + batch) % 2 == 0 ? alice : bob
                        let messages = (0..<5).map { index in
                            var message = NewMessage(roomID: lobby.id, authorID: author.id, body: "\(task).\(batch).\(index)", createdAt: t0)
                            if index == 0 { message.mentions = MessageMentions(users: [carol.id]) }
                            return message
                        }
                        _ = try await storage.appendMessages(messages)
                    }
                }
            }
            try await group.waitForAll()
        }
        try expect(try await storage.unreadCounts(of: carol.id, in: [lobby.id])[lobby.id] == UnreadCount(unread: 200, mentions: 40), "all 200 counted")
        let newest = try await storage.messages(in: lobby.id, before: nil, limit: 1)[0].id
        _ = try await storage.markRead(newest, by: carol.id, in: lobby.id, at: t0)
        try expect(try await storage.unreadCounts(of: carol.id, in: [lobby.id])[lobby.id] == UnreadCount(unread: 0, mentions: 0), "and all read")
    }
}
