import Foundation
import HTTPTypes
import Testing

/// `GET /api/admin/audit`: what room audit logs cannot keep (a deleted room's log goes with it)
/// and what happens outside any room (operator commands).
@Suite("The server-wide audit log")
struct ServerAuditTests {
    @Test("room deletions and operator commands are kept with who did them, newest first, page by page; only administrators read them")
    func auditLog() async throws {
        let directory = try TemporaryDirectory()
        let (server, client, admin) = try await StrategyReloadTests.start(directory, plugins: ["auth": [TestServer.fastLocalAuth]])
        defer { server.signal(SIGTERM) }
        let (bob, _) = try await client.signUp("bob")
        #expect(try await client.post("/api/rooms", ["name": "doomed"], token: admin).status == 201)
        #expect(try await client.request(.delete, "/api/rooms/doomed", token: admin).status == 204)
        let disabled = try await ServerProcess.run(["user", "disable", "bob"], in: directory.path)
        #expect(disabled.status == 0, "\(disabled.output)")
        #expect(try await client.get("/api/admin/audit", token: bob).status == 401, "bob's session ended with the account")

        let page = try await client.get("/api/admin/audit", token: admin)
        #expect(page.status == 200)
        let entries = page["entries"] as? [[String: Any]] ?? []
        #expect(entries.compactMap { $0["action"] as? String } == ["user.disabled", "room.deleted", "user.created"])
        #expect(entries.compactMap { $0["actor"] as? String } == ["operator", "root", "operator"])
        #expect((entries[1]["details"] as? [String: Any])?["room"] as? String == "doomed")
        #expect((entries[0]["details"] as? [String: Any])?["username"] as? String == "bob")
        #expect(entries.allSatisfy { $0["at"] is String && $0["id"] is Int })
        #expect(page.json.keys.contains("next_before") && page["next_before"] is NSNull)

        let first = try await client.get("/api/admin/audit?limit=2", token: admin)
        let before = try #require(first["next_before"] as? Int)
        let rest = try await client.get("/api/admin/audit?limit=2&before=\(before)", token: admin)
        #expect((rest["entries"] as? [[String: Any]])?.compactMap { $0["action"] as? String } == ["user.created"])
        #expect(try await client.get("/api/admin/audit?limit=0", token: admin).status == 400)

        let (carol, _) = try await client.signUp("carol")
        #expect(try await client.get("/api/admin/audit", token: carol).status == 403)
    }
}
