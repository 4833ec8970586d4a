import EchoPluginAPI
import EchoPluginTesting
import EchoPostgresStorage
import EchoTestSupport
import Foundation
import Logging
import Testing

/// A fresh database on the shared test server, and a storage opened on it.
struct TestDatabase {
    let server: PostgresServer
    let name: String

    static func make() async throws -> TestDatabase {
        let server = try await PostgresServer.shared()
        return TestDatabase(server: server, name: try server.createDatabase())
    }

    var url: String { server.url(database: name) }

    /// The deadline is generous: the conformance checks queue hundreds of operations on a few
    /// connections of a debug build, and the deadline exists to detect outages, not load.
    func open(poolSize: Int = 4, environment: [String: String] = [:]) async throws -> PostgresStorage {
        try await PostgresStorage(
            configuration: .init(url: url, poolSize: poolSize, operationTimeoutMilliseconds: 120_000), environment: environment,
            logger: quietLogger)
    }
}

let quietLogger = Logger(label: "echochat-postgres-test") { _ in SwiftLogNoOpLogHandler() }

@Suite("storage.postgres")
struct PostgresStorageTests {
    @Test("passes the storage conformance suite", arguments: StorageConformance.checks.map(\.name))
    func conformance(_ check: String) async throws {
        let database = try await TestDatabase.make()
        try await StorageConformance.run(check) { try await database.open() }
    }

    @Test("passes the shared-storage conformance suite", arguments: StorageConformance.sharedChecks.map(\.name))
    func sharedConformance(_ check: String) async throws {
        let database = try await TestDatabase.make()
        try await StorageConformance.runShared(check) { try await database.open() }
    }

    @Test("passes the server audit conformance suite", arguments: StorageConformance.serverAuditChecks.map(\.name))
    func serverAuditConformance(_ check: String) async throws {
        let database = try await TestDatabase.make()
        try await StorageConformance.runServerAudit(check) { try await database.open() }
    }

    @Test("passes the voice channel conformance suite", arguments: StorageConformance.voiceChannelChecks.map(\.name))
    func voiceChannelConformance(_ check: String) async throws {
        let database = try await TestDatabase.make()
        try await StorageConformance.runVoiceChannel(check) { try await database.open() }
    }

    @Test("passes the reaction conformance suite", arguments: StorageConformance.reactionChecks.map(\.name))
    func reactionConformance(_ check: String) async throws {
        let database = try await TestDatabase.make()
        try await StorageConformance.runReactions(check) { try await database.open() }
    }

    @Test("passes the thread conformance suite", arguments: StorageConformance.threadChecks.map(\.name))
    func threadConformance(_ check: String) async throws {
        let database = try await TestDatabase.make()
        try await StorageConformance.runThreads(check) { try await database.open() }
    }

    @Test("passes the direct message conformance suite", arguments: StorageConformance.directMessageChecks.map(\.name))
    func directMessageConformance(_ check: String) async throws {
        let database = try await TestDatabase.make()
        try await StorageConformance.runDirectMessages(check) { try await database.open() }
    }

    @Test("passes the unread conformance suite", arguments: StorageConformance.unreadChecks.map(\.name))
    func unreadConformance(_ check: String) async throws {
        let database = try await TestDatabase.make()
        try await StorageConformance.runUnread(check) { try await database.open() }
    }

    @Test("passes the name skeleton conformance suite", arguments: StorageConformance.nameSkeletonChecks.map(\.name))
    func nameSkeletonConformance(_ check: String) async throws {
        let database = try await TestDatabase.make()
        try await StorageConformance.runNameSkeleton(check) { try await database.open() }
    }

    @Test("instances starting together on an empty database migrate it once")
    func concurrentMigrations() async throws {
        let database = try await TestDatabase.make()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<6 { group.addTask { _ = try await database.open(poolSize: 1) } }
            try await group.waitForAll()
        }
        // Each migration applied exactly once, whoever got there first.
        let applied = try database.server.psql("SELECT id, count(*) FROM echochat_migrations GROUP BY id ORDER BY id", database: database.name)
        #expect(applied.split(separator: "\n").map(String.init) == ["v1_schema|1", "v2_name_skeletons|1", "v3_health_probe|1", "v4_server_audit|1", "v5_voice_channels|1", "v6_reactions|1", "v7_threads|1", "v8_direct_messages|1", "v9_unread|1"])
    }

    @Test("accounts from before the name index are listed for indexing once migrated")
    func nameIndexUpgrade() async throws {
        let database = try await TestDatabase.make()
        try await database.open().shutdown()
        // Back to the first schema, with an account in it.
        try database.server.psql(
            """
            DROP TABLE user_name_skeletons; ALTER TABLE users DROP COLUMN name_skeleton_version;
            DELETE FROM echochat_migrations WHERE id = 'v2_name_skeletons';
            INSERT INTO users (username, display_name, auth_source, created_at, updated_at) VALUES ('alice', 'Alice', 'local', 0, 0);
            """, database: database.name)
        let storage = try await database.open()
        try await StorageConformance.withRunningStorage(storage) { _ in
            let listed = try await storage.users(withoutNameSkeletonVersion: "v1", after: nil, limit: 10)
            #expect(listed.map(\.username) == ["alice"])
            try await storage.setNameSkeletons([listed[0].id: ["f:alice"]], version: "v1")
            #expect(try await storage.userIDs(withNameSkeletons: ["f:alice"]) == [listed[0].id])
        }
        try await storage.shutdown()
    }

    @Test("refuses a database that a newer release migrated, and leaves it alone")
    func newerSchemaRefused() async throws {
        let database = try await TestDatabase.make()
        _ = try await database.open()
        try database.server.psql("INSERT INTO echochat_migrations (id, applied_at) VALUES ('v_next_future', 0)", database: database.name)
        do {
            _ = try await database.open()
            Issue.record("a database migrated by a newer release was opened")
        } catch let error as StorageError {
            #expect(error.isIncompatibleSchema)
            #expect(error.message.contains("v_next_future") && error.message.contains("newer EchoChat"))
        }
        let applied = try database.server.psql("SELECT id FROM echochat_migrations ORDER BY id", database: database.name)
        #expect(applied.split(separator: "\n").map(String.init) == ["v1_schema", "v2_name_skeletons", "v3_health_probe", "v4_server_audit", "v5_voice_channels", "v6_reactions", "v7_threads", "v8_direct_messages", "v9_unread", "v_next_future"])
    }

    @Test("a bad configuration names the key", arguments: [
        (#"{"url": "mysql://x@h/db"}"#, "url"), (#"{"url": "postgres://h/db"}"#, "url"), (#"{"url": "postgres://u@h/db?sslmode=require"}"#, "url"),
        (#"{"pool_size": 0}"#, "pool_size"), (#"{"tls": "maybe"}"#, "tls"), (#"{"url": "postgres://u@h/db", "host": "h"}"#, "url"),
        (#"{"ca_file": "/etc/ssl/x.pem"}"#, "ca_file"), (#"{"pool_size": 5, "colour": "blue"}"#, "colour"),
    ])
    func badConfiguration(json: String, key: String) throws {
        var registry = PluginRegistry()
        registry.register(storage: PostgresStorage.self)
        let factory = try #require(registry.storageFactory(named: "postgres"))
        let value = try JSONDecoder().decode(ConfigValue.self, from: Data(json.utf8))
        do {
            _ = try factory.configuration(from: value)
            Issue.record("accepted \(json)")
        } catch let error as ConfigurationError {
            #expect(error.issues.first?.keyPath == [key], "\(error)")
        }
    }

    @Test("DATABASE_URL takes the place of the configured url")
    func databaseURLOverride() async throws {
        let database = try await TestDatabase.make()
        let storage = try await PostgresStorage(
            configuration: .init(url: "postgres://nobody@127.0.0.1:1/nothing", poolSize: 2), environment: ["DATABASE_URL": database.url],
            logger: quietLogger)
        try await StorageConformance.withRunningStorage(storage) { try await $0.checkHealth() }
    }

    @Test("a wrong password or an unreachable server fails start-up without showing the password")
    func startupFailures() async throws {
        let database = try await TestDatabase.make()
        let wrong = database.url.replacingOccurrences(of: database.server.password, with: "not-the-password-42")
        do {
            _ = try await PostgresStorage(configuration: .init(url: wrong), environment: [:], logger: quietLogger)
            Issue.record("a wrong password was accepted")
        } catch {
            let text = "\(error)"
            #expect(text.contains("password authentication failed"), "\(text)")
            #expect(!text.contains("not-the-password-42"))
        }
        let port = try freeLoopbackPort()
        let started = ContinuousClock.now
        do {
            _ = try await PostgresStorage(
                configuration: .init(url: "postgres://echochat:secret-77@127.0.0.1:\(port)/x", connectTimeoutMilliseconds: 1000),
                environment: [:], logger: quietLogger)
            Issue.record("an unreachable server was accepted")
        } catch let error as StorageError {
            #expect(error.isUnavailable)
            #expect(!error.message.contains("secret-77"))
            #expect(error.message.contains("127.0.0.1:\(port)"))
        }
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test("a stopped server makes operations fail as unavailable within the deadline; the pool recovers by itself")
    func outageAndRecovery() async throws {
        let server = try PostgresServer.start()
        defer { server.destroy() }
        let name = try server.createDatabase()
        let storage = try await PostgresStorage(
            configuration: .init(url: server.url(database: name), poolSize: 4, connectTimeoutMilliseconds: 500, operationTimeoutMilliseconds: 2000),
            environment: [:], logger: quietLogger)
        try await StorageConformance.withRunningStorage(storage) { storage in
            let user = try await aliceBeforeTheOutage(in: storage)
            try server.stop()
            let started = ContinuousClock.now
            do {
                _ = try await storage.user(id: user.id)
                Issue.record("a query succeeded with the server stopped")
            } catch let error as StorageError {
                #expect(error.isUnavailable, "\(error)")
            }
            // The 2 s deadline is what bounds it; the slack is for a machine busy with other tests.
            #expect(ContinuousClock.now - started < .seconds(8))
            try server.start()
            let deadline = ContinuousClock.now + .seconds(30)
            var recovered: User?
            while recovered == nil, ContinuousClock.now < deadline {
                recovered = try? await storage.user(id: user.id)
                if recovered == nil { try await Task.sleep(for: .milliseconds(200)) }
            }
            #expect(recovered?.username == "alice")
        }
    }

    /// Sets up the account the outage test reads. On a machine busy with other tests a healthy query can outlast the
    /// test's short 2 s operation deadline, so the set-up (not the outage) waits and asks again.
    private func aliceBeforeTheOutage(in storage: any Storage) async throws -> User {
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            do {
                if let existing = try await storage.user(named: "alice") { return existing }
                return try await storage.createUser(
                    NewUser(username: "alice", displayName: "Alice", email: nil, authSource: "local", createdAt: Date()), credential: nil)
            } catch let error as StorageError where error.isUnavailable && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(200))
            }
        }
    }
}
