import EchoPluginAPI
import EchoPluginTesting
import EchoSQLiteStorage
import EchoTestSupport
import Foundation
import GRDB
import HTTPTypes
import Testing

@testable import EchoChatServer

/// `echochat migrate-storage` and `echochat backup`, run as the real binary.
@Suite("storage migration and backup")
struct StorageMigrationTests {
    /// The API answers a populated site gives, for comparing before and after a migration.
    static func answers(_ client: HTTPTestClient, _ tokens: [String: String]) async throws -> [String] {
        var answers: [String] = []
        for user in ["alice", "bob", "carol"] {
            // The room list carries unread and mention counts: markers, mentions and ordinals came along.
            answers.append(try await client.get("/api/rooms", token: tokens[user]).text)
            answers.append(try await client.get("/api/dms", token: tokens[user]).text)
            answers.append(try await client.get("/api/me", token: tokens[user]).text)
            answers.append(try await client.get("/api/me/blocks", token: tokens[user]).text)
        }
        for room in ["Lobby", "Secret"] {
            answers.append(try await client.get("/api/rooms/\(room)", token: tokens["alice"]).text)
            answers.append(try await client.get("/api/rooms/\(room)/members", token: tokens["alice"]).text)
            answers.append(try await client.get("/api/rooms/\(room)/bans", token: tokens["alice"]).text)
            answers.append(try await client.get("/api/rooms/\(room)/audit", token: tokens["alice"]).text)
            var before: Int?
            repeat {
                let page = try await client.get("/api/rooms/\(room)/messages?limit=37" + (before.map { "&before=\($0)" } ?? ""), token: tokens["alice"])
                answers.append(page.text)
                before = page["next_before"] as? Int
            } while before != nil
        }
        return answers
    }

    @Test("a populated SQLite database migrated to PostgreSQL gives the same answers; old passwords and sessions work; a second run is refused")
    func sqliteToPostgres() async throws {
        let directory = try TemporaryDirectory()
        let sqlitePath = directory.file("site.sqlite")
        let sqlitePlugins: [String: Any] = [
            "storage": ["plugin": "sqlite", "config": ["path": sqlitePath]], "auth": [TestServer.fastLocalAuth],
        ]
        let server = try await PostgresServer.shared()
        let database = try server.createDatabase()
        let postgresPlugins: [String: Any] = [
            "storage": ["plugin": "postgres", "config": ["url": server.url(database: database)]], "auth": [TestServer.fastLocalAuth],
        ]
        try directory.write("sqlite.json", json: sqlitePlugins)
        try directory.write("postgres.json", json: postgresPlugins)
        let config = ["rate_limit_login_per_address": "off", "rate_limit_register": "off", "rate_limit_login": "off"]

        nonisolated(unsafe) let sqliteSite = sqlitePlugins
        let (before, refreshTokens) = try await TestServer.run(config: config, plugins: sqliteSite) { client, _ in
            var tokens: [String: String] = [:]
            var refresh: [String: String] = [:]
            for name in ["alice", "bob", "carol", "dave"] {
                let (access, refreshToken) = try await client.signUp(name)
                tokens[name] = access
                refresh[name] = refreshToken
            }
            _ = try await client.post("/api/rooms", ["name": "Lobby", "topic": "Everyone – ünïcode"], token: tokens["alice"])
            _ = try await client.post("/api/rooms", ["name": "Secret", "visibility": "private"], token: tokens["alice"])
            for name in ["bob", "carol", "dave"] { _ = try await client.post("/api/rooms/Lobby/join", token: tokens[name]) }
            let promoted = try await client.request(.put, "/api/rooms/Lobby/members/bob", json: ["role": "moderator"], token: tokens["alice"])
            #expect(promoted.status == 200, "\(promoted.text)")
            _ = try await client.post("/api/rooms/Secret/invites", ["username": "carol"], token: tokens["alice"])
            _ = try await client.post("/api/rooms/Lobby/bans", ["username": "dave", "reason": "spam"], token: tokens["alice"])
            var ids: [Int] = []
            for index in 0..<120 {
                let author = ["alice", "bob", "carol"][index % 3]
                let mention = index % 10 == 0 ? " @bob" : ""
                let posted = try await client.post(
                    "/api/rooms/Lobby/messages", ["body": "message \(index) — \"quoted\" ✓" + mention, "client_id": "c\(index)"], token: tokens[author])
                ids.append(posted["id"] as? Int ?? -1)
            }
            _ = try await client.post("/api/rooms/Secret/messages", ["body": "just us"], token: tokens["alice"])
            _ = try await client.request(.patch, "/api/rooms/Lobby/messages/\(ids[3])", json: ["body": "edited"], token: tokens["alice"])
            _ = try await client.request(.delete, "/api/rooms/Lobby/messages/\(ids[4])", token: tokens["bob"])
            // Read markers, a conversation, a block and a policy.
            _ = try await client.post("/api/rooms/Lobby/read", ["message_id": ids[100]], token: tokens["carol"])
            let dm = try #require(try await client.post("/api/dms", ["users": ["bob"]], token: tokens["alice"])["id"] as? Int)
            _ = try await client.post("/api/dms/\(dm)/messages", ["body": "just between us, @bob"], token: tokens["alice"])
            _ = try await client.request(.put, "/api/me/blocks/dave", token: tokens["bob"])
            _ = try await client.request(.patch, "/api/me", json: ["dm_policy": "nobody"], token: tokens["carol"])
            // Two entries of the server audit log.
            for doomed in ["Doomed1", "Doomed2"] {
                _ = try await client.post("/api/rooms", ["name": doomed], token: tokens["alice"])
                #expect(try await client.request(.delete, "/api/rooms/\(doomed)", token: tokens["alice"]).status == 204)
            }
            return (try await Self.answers(client, tokens), refresh)
        }

        let migration = try await ServerProcess.run(
            ["migrate-storage", "--from", directory.file("sqlite.json"), "--to", directory.file("postgres.json")], in: directory.path)
        #expect(migration.status == 0, "\(migration.output)")
        #expect(migration.output.contains("messages") && migration.output.contains("counts and checksums match"), "\(migration.output)")

        nonisolated(unsafe) let postgresSite = postgresPlugins
        try await TestServer.run(config: config, plugins: postgresSite) { client, setup in
            var tokens: [String: String] = [:]
            for name in ["alice", "bob", "carol"] {
                let login = try await client.login(name)
                #expect(login.status == 200, "\(name) logs in with the old password")
                tokens[name] = login["access_token"] as? String
            }
            let after = try await Self.answers(client, tokens)
            #expect(after.count == before.count)
            for (old, new) in zip(before, after) { #expect(old == new) }
            // A session from before the migration refreshes.
            let refreshed = try await client.post("/api/auth/refresh", ["refresh_token": refreshTokens["carol"]!])
            #expect(refreshed.status == 200, "\(refreshed.text)")
            // New rows get new ids above the copied ones, and the next ordinal of their room.
            let unreadBefore = try await UnreadTests.counts(client, "Lobby", tokens["carol"])
            let posted = try await client.post("/api/rooms/Lobby/messages", ["body": "after the move"], token: tokens["alice"])
            #expect(posted.status == 201, "\(posted.text)")
            let unreadAfter = try await UnreadTests.counts(client, "Lobby", tokens["carol"])
            #expect(unreadBefore.0 != nil && unreadAfter.0 == unreadBefore.0.map { $0 + 1 }, "\(unreadBefore) → \(unreadAfter)")
            // The server audit log came along, and records new entries after the copied ones.
            let socket = ControlRequest.socketPath(in: setup.server.dataDirectory)
            let granted = try await ThreadPoolExecutor().run { try ControlClient.send(ControlRequest(command: .setAdmin, username: "alice"), to: socket) }
            #expect(granted?.ok == true)
            let audit = try await client.get("/api/admin/audit", token: tokens["alice"])
            let entries = audit["entries"] as? [[String: Any]] ?? []
            #expect(entries.compactMap { $0["action"] as? String } == ["user.admin_granted", "room.deleted", "room.deleted"], "\(audit.text)")
            let ids = entries.compactMap { $0["id"] as? Int }
            #expect(ids == ids.sorted(by: >) && Set(ids).count == 3)
        }

        let again = try await ServerProcess.run(
            ["migrate-storage", "--from", directory.file("sqlite.json"), "--to", directory.file("postgres.json")], in: directory.path)
        #expect(again.status == 1)
        #expect(again.output.contains("already holds data"), "\(again.output)")
    }

    @Test("a migration that fails part-way writes nothing to the target")
    func allOrNothing() async throws {
        let directory = try TemporaryDirectory()
        let sqlitePath = directory.file("site.sqlite")
        // A damaged database: the last message's created_at holds text (SQLite stores whatever a
        // column is given). Every table before messages copies before the copy fails.
        let storage = try await SQLiteStorage(
            configuration: .init(path: sqlitePath), context: PluginTestContext.make(dataDirectory: directory.path))
        let alice = try await storage.createUser(
            NewUser(username: "alice", displayName: "Alice", email: nil, authSource: "local", createdAt: Date()), credential: nil)
        let room = try await storage.createRoom(NewRoom(name: "Lobby", topic: "", visibility: .public, createdAt: Date()), owner: alice.id)
        let messages = try await storage.appendMessages(
            (0..<51).map { NewMessage(roomID: room.id, authorID: alice.id, body: "m\($0)", createdAt: Date()) })
        try await storage.shutdown()
        let damage = try DatabaseQueue(path: sqlitePath)
        try await damage.write { db in
            try db.execute(sql: "UPDATE messages SET created_at = 'yesterday' WHERE id = ?", arguments: [messages.last!.message.id.rawValue])
        }
        try damage.close()

        let server = try await PostgresServer.shared()
        let database = try server.createDatabase()
        try directory.write("sqlite.json", json: ["storage": ["plugin": "sqlite", "config": ["path": sqlitePath]]])
        try directory.write("postgres.json", json: ["storage": ["plugin": "postgres", "config": ["url": server.url(database: database)]]])
        let migration = try await ServerProcess.run(
            ["migrate-storage", "--from", directory.file("sqlite.json"), "--to", directory.file("postgres.json")], in: directory.path)
        #expect(migration.status == 1)
        #expect(migration.output.contains("nothing was written") && migration.output.contains("messages.created_at"), "\(migration.output)")
        for table in ["users", "rooms", "memberships", "messages"] {
            let count = try server.psql("SELECT count(*) FROM \(table)", database: database).trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(count == "0", "\(table) is empty after the failed migration")
        }
    }

    @Test("backup writes a consistent copy of SQLite and of PostgreSQL while the server runs, and refuses to overwrite")
    func backups() async throws {
        let directory = try TemporaryDirectory()
        let server = try await PostgresServer.shared()
        let database = try server.createDatabase()
        let sites: [(String, [String: Any])] = [
            ("sqlite", ["storage": ["plugin": "sqlite", "config": ["path": directory.file("site.sqlite")]], "auth": [TestServer.fastLocalAuth]]),
            ("postgres", ["storage": ["plugin": "postgres", "config": ["url": server.url(database: database)]], "auth": [TestServer.fastLocalAuth]]),
        ]
        for (name, plugins) in sites {
            try directory.write("\(name).json", json: plugins)
            nonisolated(unsafe) let site = plugins
            try await TestServer.run(config: ["rate_limit_register": "off"], plugins: site) { client, _ in
                let (access, _) = try await client.signUp("alice")
                _ = try await client.post("/api/rooms", ["name": "Lobby"], token: access)
                for index in 0..<20 { _ = try await client.post("/api/rooms/Lobby/messages", ["body": "m\(index)"], token: access) }
                let target = directory.file("\(name).backup")
                let backup = try await ServerProcess.run(["backup", "--plugins", directory.file("\(name).json"), target], in: directory.path)
                #expect(backup.status == 0, "\(backup.output)")
                #expect(FileManager.default.fileExists(atPath: target))
                let again = try await ServerProcess.run(["backup", "--plugins", directory.file("\(name).json"), target], in: directory.path)
                #expect(again.status == 1 && again.output.contains("already exists"), "\(again.output)")
            }
        }
        // The SQLite copy opens as a database with the data in it.
        let copy = try await SQLiteStorage(
            configuration: .init(path: directory.file("sqlite.backup")), context: PluginTestContext.make(dataDirectory: directory.path))
        let room = try #require(try await copy.room(named: "Lobby"))
        #expect(try await copy.messages(in: room.id, before: nil, limit: 100).count == 20)
        try await copy.shutdown()
        // The PostgreSQL archive restores into an empty database with the data in it.
        let restored = try server.createDatabase()
        try server.restore(archive: directory.file("postgres.backup"), into: restored)
        let count = try server.psql("SELECT count(*) FROM messages", database: restored).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(count == "20")
    }
}
