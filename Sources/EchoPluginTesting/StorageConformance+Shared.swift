public import EchoPluginAPI
import Foundation
import Synchronization

extension StorageConformance {
    /// The behaviours the host relies on from a ``SharedStorage`` (one several instances share),
    /// on top of ``checks``.
    ///
    /// ```swift
    /// @Test(arguments: StorageConformance.sharedChecks.map(\.name))
    /// func sharedConformance(_ name: String) async throws {
    ///     try await StorageConformance.runShared(name) { try await MyStorage(configuration: .init(), context: context) }
    /// }
    /// ```
    public static var sharedChecks: [SharedCheck] {
        [
            SharedCheck(name: "broadcasts reach every receiver in order, long and non-ASCII ones included", body: broadcastOrder),
            SharedCheck(name: "messages after an id are read across rooms, oldest first; the newest id is known", body: messagesAfter),
            SharedCheck(name: "rate counters admit exactly the limit under concurrency; a refund gives one back", body: rateCounters),
        ]
    }

    /// A named behaviour of a shared storage.
    public struct SharedCheck: Sendable {
        /// What the check shows.
        public let name: String
        let body: @Sendable (any SharedStorage) async throws -> Void
    }

    /// Runs the shared-storage check called `name` against a fresh storage.
    public static func runShared(_ name: String, makeStorage: () async throws -> any SharedStorage) async throws {
        guard let check = sharedChecks.first(where: { $0.name == name }) else { throw ConformanceFailure("no check named \(name)") }
        let storage = try await makeStorage()
        try await withRunningStorage(storage) { _ in try await check.body(storage) }
    }

    static func broadcastOrder(_ storage: any SharedStorage) async throws {
        let long = String(repeating: "ü", count: storage.maxBroadcastBytes / 2)
        try expect(long.utf8.count <= storage.maxBroadcastBytes, "the long payload fits")
        let sent = (0..<60).map { "p\($0)" } + [long]
        let receivers = (0..<2).map { _ in Collected() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for receiver in receivers {
                group.addTask { try await storage.receiveBroadcasts { event in receiver.add(event) } }
            }
            defer { group.cancelAll() }
            try await waitUntil("both receivers listen") { receivers.allSatisfy { $0.events.contains(.listening) } }
            for start in stride(from: 0, to: sent.count, by: 20) {
                try await storage.broadcast(Array(sent[start..<min(start + 20, sent.count)]))
            }
            try await waitUntil("every payload arrives") { receivers.allSatisfy { $0.payloads.count >= sent.count } }
            for receiver in receivers {
                try expect(receiver.payloads == sent, "payloads arrive whole, once, in order")
            }
        }
    }

    static func messagesAfter(_ storage: any SharedStorage) async throws {
        try expect(try await storage.latestMessageID() == nil, "no messages yet")
        let alice = try await storage.createUser(newUser("alice"), credential: nil)
        let lobby = try await storage.createRoom(room("Lobby"), owner: alice.id)
        let side = try await storage.createRoom(room("Side"), owner: alice.id)
        var ids: [MessageID] = []
        for index in 0..<10 {
            let room = index.isMultiple(of: 2) ? lobby.id : side.id
            ids.append(try await storage.appendMessages([NewMessage(roomID: room, authorID: alice.id, body: "m\(index)", createdAt: t0)])[0].message.id)
        }
        _ = try await storage.deleteMessage(ids[5], at: t0, audit: nil)
        try expect(try await storage.latestMessageID() == ids.last, "the newest id")
        let after = try await storage.messages(after: ids[2], limit: 4)
        try expect(after.map(\.id) == Array(ids[3..<7]), "oldest first, across rooms, limited")
        try expect(after.first { $0.id == ids[5] }?.deletedAt != nil, "deleted messages are included, marked")
        try expect(try await storage.messages(after: ids[9], limit: 10).isEmpty, "nothing after the newest")
    }

    static func rateCounters(_ storage: any SharedStorage) async throws {
        let now = t0
        let admitted = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<20 { group.addTask { try await storage.consumeRate("login:alice", limit: 5, period: 60, at: now) == nil } }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        try expect(admitted == 5, "exactly 5 of 20 concurrent events admitted, got \(admitted)")
        let wait = try await storage.consumeRate("login:alice", limit: 5, period: 60, at: now.addingTimeInterval(10))
        try expect(wait.map { abs($0 - 50) < 0.01 } == true, "retry after the oldest event leaves the window, got \(String(describing: wait))")
        try expect(try await storage.consumeRate("login:bob", limit: 5, period: 60, at: now) == nil, "keys count apart")
        try await storage.refundRate("login:alice")
        try expect(try await storage.consumeRate("login:alice", limit: 5, period: 60, at: now.addingTimeInterval(10)) == nil, "a refund frees one")
        try expect(try await storage.consumeRate("login:alice", limit: 5, period: 60, at: now.addingTimeInterval(61)) == nil, "the window moves on")
    }

    /// Polls `condition` for up to 10 s.
    static func waitUntil(_ what: String, _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while !condition() {
            guard ContinuousClock.now < deadline else { throw ConformanceFailure("timed out waiting until \(what)") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}

/// Broadcast events as a receiver saw them.
final class Collected: Sendable {
    private let state = Mutex<[BroadcastEvent]>([])
    func add(_ event: BroadcastEvent) { state.withLock { $0.append(event) } }
    var events: [BroadcastEvent] { state.withLock { $0 } }
    var payloads: [String] {
        events.compactMap {
            if case .payload(let text) = $0 { return text }
            return nil
        }
    }
}
