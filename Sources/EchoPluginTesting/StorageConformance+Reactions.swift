public import EchoPluginAPI
import Foundation

extension StorageConformance {
    /// The behaviours the host relies on from a ``ReactionStore``.
    ///
    /// ```swift
    /// @Test(arguments: StorageConformance.reactionChecks.map(\.name))
    /// func reactions(_ name: String) async throws {
    ///     try await StorageConformance.runReactions(name) { try await MyStorage(configuration: .init(), context: context) }
    /// }
    /// ```
    public static var reactionChecks: [ReactionCheck] {
        [
            ReactionCheck(name: "a reaction is recorded once, counted per emoji in first-use order, and removed once", body: reactionCounts),
            ReactionCheck(name: "a message carries at most the allowed number of distinct emoji", body: reactionLimit),
            ReactionCheck(name: "concurrent reactions of many users are all counted", body: concurrentReactions),
        ]
    }

    /// A named behaviour of a storage with reactions.
    public struct ReactionCheck: Sendable {
        /// What the check shows.
        public let name: String
        let body: @Sendable (any ReactionStore) async throws -> Void
    }

    /// Runs the reaction check called `name` against a fresh storage.
    public static func runReactions(_ name: String, makeStorage: () async throws -> any ReactionStore) async throws {
        guard let check = reactionChecks.first(where: { $0.name == name }) else { throw ConformanceFailure("no check named \(name)") }
        let storage = try await makeStorage()
        try await withRunningStorage(storage) { _ in try await check.body(storage) }
    }

    /// A room with two messages, and `count` users.
    static func reactionSetUp(_ storage: any ReactionStore, users count: Int) async throws -> ([User], [MessageID]) {
        var users: [User] = []
        for index in 0..<count { users.append(try await storage.createUser(newUser("reactor\(index)"), credential: nil)) }
        let lobby = try await storage.createRoom(room("Lobby"), owner: users[0].id)
        let appended = try await storage.appendMessages([
            NewMessage(roomID: lobby.id, authorID: users[0].id, body: "first", createdAt: t0),
            NewMessage(roomID: lobby.id, authorID: users[0].id, body: "second", createdAt: t0),
        ])
        return (users, appended.map(\.message.id))
    }

    static func reactionCounts(_ storage: any ReactionStore) async throws {
        let (users, messages) = try await reactionSetUp(storage, users: 3)
        let (first, second) = (messages[0], messages[1])
        try expect(try await storage.addReaction("👍", to: first, by: users[0].id, at: t0, maxDistinct: 20) == .added, "added")
        try expect(try await storage.addReaction("👍", to: first, by: users[0].id, at: t0, maxDistinct: 20) == .unchanged, "once per user")
        try expect(try await storage.addReaction(":tada:", to: first, by: users[1].id, at: t0.addingTimeInterval(1), maxDistinct: 20) == .added, "a :name:")
        try expect(try await storage.addReaction("👍", to: first, by: users[2].id, at: t0.addingTimeInterval(2), maxDistinct: 20) == .added, "another user")
        try expect(try await storage.addReaction("👨‍👩‍👧", to: second, by: users[1].id, at: t0, maxDistinct: 20) == .added, "a cluster of several scalars")
        let seen = try await storage.reactions(on: [first, second], viewer: users[1].id)
        try expect(
            seen[first] == [ReactionCount(emoji: "👍", count: 2, includesViewer: false), ReactionCount(emoji: ":tada:", count: 1, includesViewer: true)],
            "counts in first-use order with the viewer's own: \(String(describing: seen[first]))")
        try expect(seen[second] == [ReactionCount(emoji: "👨‍👩‍👧", count: 1, includesViewer: true)], "kept exactly: \(String(describing: seen[second]))")
        try expect(try await storage.reactions(on: [first], viewer: users[0].id)[first]?.first?.includesViewer == true, "another viewer")
        try expect(try await storage.removeReaction("👍", from: first, by: users[0].id), "removed")
        try expect(!(try await storage.removeReaction("👍", from: first, by: users[0].id)), "removing twice is a no-op")
        try expect(try await storage.reactions(on: [first], viewer: users[0].id)[first]?.first?.count == 1, "one 👍 left")
        try expect(try await storage.reactions(on: [], viewer: users[0].id).isEmpty, "no messages, no reactions")
        do {
            _ = try await storage.addReaction("👍", to: MessageID(999_999), by: users[0].id, at: t0, maxDistinct: 20)
            throw ConformanceFailure("a reaction to a message that does not exist is refused")
        } catch let error as StorageError {
            guard error.isNotFound else { throw ConformanceFailure("a missing message is notFound, not \(error)") }
        }
    }

    static func reactionLimit(_ storage: any ReactionStore) async throws {
        let (users, messages) = try await reactionSetUp(storage, users: 2)
        for index in 0..<3 {
            try expect(try await storage.addReaction(":e\(index):", to: messages[0], by: users[0].id, at: t0, maxDistinct: 3) == .added, "under the limit")
        }
        try expect(try await storage.addReaction(":e3:", to: messages[0], by: users[0].id, at: t0, maxDistinct: 3) == .tooManyDistinct, "a fourth emoji")
        try expect(try await storage.addReaction(":e0:", to: messages[0], by: users[1].id, at: t0, maxDistinct: 3) == .added, "one already there")
        try expect(try await storage.reactions(on: [messages[0]], viewer: users[0].id)[messages[0]]?.count == 3, "three distinct")
    }

    static func concurrentReactions(_ storage: any ReactionStore) async throws {
        let (users, messages) = try await reactionSetUp(storage, users: 8)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for user in users {
                group.addTask {
                    for round in 0..<5 {
                        _ = try await storage.addReaction("👍", to: messages[0], by: user.id, at: t0, maxDistinct: 20)
                        _ = try await storage.addReaction(":e\(round % 2):", to: messages[0], by: user.id, at: t0, maxDistinct: 20)
                        if round < 4 { try await storage.removeReaction("👍", from: messages[0], by: user.id) }
                    }
                }
            }
            try await group.waitForAll()
        }
        let counts = try await storage.reactions(on: [messages[0]], viewer: users[0].id)[messages[0]] ?? []
        try expect(Set(counts.map { "\($0.emoji)=\($0.count)" }) == ["👍=8", ":e0:=8", ":e1:=8"], "every user counted once: \(counts)")
    }
}
