public import EchoPluginAPI
import Foundation

extension StorageConformance {
    /// The behaviours the host relies on from a ``ServerAuditStore``.
    ///
    /// ```swift
    /// @Test(arguments: StorageConformance.serverAuditChecks.map(\.name))
    /// func serverAudit(_ name: String) async throws {
    ///     try await StorageConformance.runServerAudit(name) { try await MyStorage(configuration: .init(), context: context) }
    /// }
    /// ```
    public static var serverAuditChecks: [ServerAuditCheck] {
        [
            ServerAuditCheck(name: "server audit entries keep what was recorded and are listed newest first, page by page", body: serverAuditPages),
            ServerAuditCheck(name: "server audit entries recorded at once all get ids of their own", body: serverAuditConcurrent),
        ]
    }

    /// A named behaviour of a storage with a server-wide audit log.
    public struct ServerAuditCheck: Sendable {
        /// What the check shows.
        public let name: String
        let body: @Sendable (any ServerAuditStore) async throws -> Void
    }

    /// Runs the server audit check called `name` against a fresh storage.
    public static func runServerAudit(_ name: String, makeStorage: () async throws -> any ServerAuditStore) async throws {
        guard let check = serverAuditChecks.first(where: { $0.name == name }) else { throw ConformanceFailure("no check named \(name)") }
        let storage = try await makeStorage()
        try await withRunningStorage(storage) { _ in try await check.body(storage) }
    }

    static func serverAuditPages(_ storage: any ServerAuditStore) async throws {
        try expect(try await storage.serverAuditLog(before: nil, limit: 10).isEmpty, "a new storage has no entries")
        var recorded: [ServerAuditEntry] = []
        for index in 0..<5 {
            recorded.append(
                try await storage.recordServerAudit(
                    actor: index == 0 ? "SIGHUP" : "ädmin \(index)", action: "strategy.swapped",
                    details: ["revision": "wasm:\(index)", "note": "quote \" and ünïcode"], at: t0.addingTimeInterval(Double(index))))
        }
        try expect(zip(recorded, recorded.dropFirst()).allSatisfy { $0.id < $1.id }, "ids increase")
        let first = try await storage.serverAuditLog(before: nil, limit: 3)
        try expect(first == Array(recorded.reversed().prefix(3)), "newest first, as recorded: \(first)")
        let second = try await storage.serverAuditLog(before: first.last?.id, limit: 3)
        try expect(second == Array(recorded.reversed().dropFirst(3)), "the next page holds the rest: \(second)")
        try expect(second.last?.details == ["revision": "wasm:0", "note": "quote \" and ünïcode"], "details round-trip")
        try expect(second.last?.createdAt == t0, "times round-trip")
    }

    static func serverAuditConcurrent(_ storage: any ServerAuditStore) async throws {
        let ids = try await withThrowingTaskGroup(of: Int64.self) { group in
            for index in 0..<20 {
                group.addTask {
                    try await storage.recordServerAudit(actor: "operator", action: "user.disabled", details: ["username": "u\(index)"], at: t0).id
                }
            }
            return try await group.reduce(into: Set<Int64>()) { $0.insert($1) }
        }
        try expect(ids.count == 20, "20 distinct ids")
        try expect(try await storage.serverAuditLog(before: nil, limit: 100).count == 20, "all 20 listed")
    }
}
