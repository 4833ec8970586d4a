public import EchoPluginAPI
import Foundation

extension StorageConformance {
    /// The behaviours the host relies on from a ``ThreadStore``.
    ///
    /// ```swift
    /// @Test(arguments: StorageConformance.threadChecks.map(\.name))
    /// func threads(_ name: String) async throws {
    ///     try await StorageConformance.runThreads(name) { try await MyStorage(configuration: .init(), context: context) }
    /// }
    /// ```
    public static var threadChecks: [ThreadCheck] {
        [
            ThreadCheck(name: "replies are kept, counted on their parent once each, and listed oldest first page by page", body: threadReplies),
            ThreadCheck(name: "a deleted reply no longer counts and is not listed", body: threadDeletion),
        ]
    }

    /// A named behaviour of a storage with threads.
    public struct ThreadCheck: Sendable {
        /// What the check shows.
        public let name: String
        let body: @Sendable (any ThreadStore) async throws -> Void
    }

    /// Runs the thread check called `name` against a fresh storage.
    public static func runThreads(_ name: String, makeStorage: () async throws -> any ThreadStore) async throws {
        guard let check = threadChecks.first(where: { $0.name == name }) else { throw ConformanceFailure("no check named \(name)") }
        let storage = try await makeStorage()
        try await withRunningStorage(storage) { _ in try await check.body(storage) }
    }

    /// A parent and three replies to it, the second posted twice with one client id.
    static func threadSetUp(_ storage: any ThreadStore) async throws -> (parent: MessageID, replies: [MessageID], other: MessageID) {
        let author = try await storage.createUser(newUser("author"), credential: nil)
        let lobby = try await storage.createRoom(room("Lobby"), owner: author.id)
        let parent = try await storage.appendMessages([
            NewMessage(roomID: lobby.id, authorID: author.id, body: "parent", createdAt: t0),
            NewMessage(roomID: lobby.id, authorID: author.id, body: "unrelated", createdAt: t0),
        ]).map(\.message.id)
        var replies: [MessageID] = []
        for index in 1...3 {
            let reply = NewMessage(
                roomID: lobby.id, authorID: author.id, body: "reply \(index)", clientID: "reply-\(index)", createdAt: t0.addingTimeInterval(Double(index)),
                replyTo: parent[0])
            let appended = try await storage.appendMessages(index == 2 ? [reply, reply] : [reply])
            try expect(appended.map(\.isDuplicate) == (index == 2 ? [false, true] : [false]), "the retry is a duplicate")
            replies.append(appended[0].message.id)
        }
        return (parent[0], replies, parent[1])
    }

    static func threadReplies(_ storage: any ThreadStore) async throws {
        let (parent, replies, other) = try await threadSetUp(storage)
        let info = try await storage.threadInfo(for: [parent, other] + replies)
        try expect(info[parent] == ThreadInfo(replyTo: nil, replyCount: 3, lastReplyAt: t0.addingTimeInterval(3)), "counted once each: \(String(describing: info[parent]))")
        try expect(info[other] == nil, "a message no thread touches is left out")
        try expect(replies.allSatisfy { info[$0] == ThreadInfo(replyTo: parent, replyCount: 0, lastReplyAt: nil) }, "each reply names its parent")
        let first = try await storage.replies(to: parent, after: nil, limit: 2)
        try expect(first.map(\.id) == Array(replies.prefix(2)), "oldest first, a page of 2")
        let second = try await storage.replies(to: parent, after: first.last?.id, limit: 2)
        try expect(second.map(\.id) == [replies[2]], "then the rest")
        try expect(try await storage.replies(to: parent, after: replies[2], limit: 2).isEmpty, "then nothing")
        try expect(try await storage.threadInfo(for: []).isEmpty, "no messages, nothing")
    }

    static func threadDeletion(_ storage: any ThreadStore) async throws {
        let (parent, replies, _) = try await threadSetUp(storage)
        _ = try await storage.deleteMessage(replies[1], at: t0.addingTimeInterval(10), audit: nil)
        try expect(try await storage.threadInfo(for: [parent])[parent]?.replyCount == 2, "two replies left")
        try expect(try await storage.replies(to: parent, after: nil, limit: 10).map(\.id) == [replies[0], replies[2]], "the deleted reply is not listed")
        _ = try await storage.deleteMessage(parent, at: t0.addingTimeInterval(11), audit: nil)
        try expect(try await storage.threadInfo(for: [replies[0]])[replies[0]]?.replyTo == parent, "a reply still names its deleted parent")
    }
}
