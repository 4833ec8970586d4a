import EchoPluginAPI
import EchoPluginTesting
import EchoSQLiteStorage
import Foundation
import GRDB
import Testing

/// A database in a temporary directory, removed afterwards.
final class TemporaryDatabase: Sendable {
    let directory: String
    var path: String { directory + "/echochat.sqlite" }

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("echochat-sqlite-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    func open(synchronous: SQLiteStorage.Configuration.Synchronous = .full) async throws -> SQLiteStorage {
        try await SQLiteStorage(
            configuration: .init(path: path, synchronous: synchronous), context: PluginTestContext.make(dataDirectory: directory))
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }
}

@Suite("storage.sqlite")
struct SQLiteStorageTests {
    @Test("passes the storage conformance suite", arguments: StorageConformance.checks.map(\.name))
    func conformance(_ check: String) async throws {
        let database = try TemporaryDatabase()
        try await StorageConformance.run(check) { try await database.open() }
    }

    @Test("passes the server audit conformance suite", arguments: StorageConformance.serverAuditChecks.map(\.name))
    func serverAuditConformance(_ check: String) async throws {
        let database = try TemporaryDatabase()
        try await StorageConformance.runServerAudit(check) { try await database.open() }
    }

    @Test("passes the voice channel conformance suite", arguments: StorageConformance.voiceChannelChecks.map(\.name))
    func voiceChannelConformance(_ check: String) async throws {
        let database = try TemporaryDatabase()
        try await StorageConformance.runVoiceChannel(check) { try await database.open() }
    }

    @Test("passes the reaction conformance suite", arguments: StorageConformance.reactionChecks.map(\.name))
    func reactionConformance(_ check: String) async throws {
        let database = try TemporaryDatabase()
        try await StorageConformance.runReactions(check) { try await database.open() }
    }

    @Test("passes the thread conformance suite", arguments: StorageConformance.threadChecks.map(\.name))
    func threadConformance(_ check: String) async throws {
        let database = try TemporaryDatabase()
        try await StorageConformance.runThreads(check) { try await database.open() }
    }

    @Test("passes the direct message conformance suite", arguments: StorageConformance.directMessageChecks.map(\.name))
    func directMessageConformance(_ check: String) async throws {
        let database = try TemporaryDatabase()
        try await StorageConformance.runDirectMessages(check) { try await database.open() }
    }

    @Test("passes the unread conformance suite", arguments: StorageConformance.unreadChecks.map(\.name))
    func unreadConformance(_ check: String) async throws {
        let database = try TemporaryDatabase()
        try await StorageConformance.runUnread(check) { try await database.open() }
    }

    @Test("passes the name skeleton conformance suite", arguments: StorageConformance.nameSkeletonChecks.map(\.name))
    func nameSkeletonConformance(_ check: String) async throws {
        let database = try TemporaryDatabase()
        try await StorageConformance.runNameSkeleton(check) { try await database.open() }
    }

    @Test("runs in WAL mode with the configured synchronous level on the writer", arguments: [
        (SQLiteStorage.Configuration.Synchronous.full, 2), (.normal, 1),
    ])
    func durabilitySettings(level: SQLiteStorage.Configuration.Synchronous, pragma: Int) async throws {
        let database = try TemporaryDatabase()
        let storage = try await database.open(synchronous: level)
        try await storage.checkHealth()
        let (mode, synchronous) = try await storage.pragmas()
        #expect(mode == "wal")
        #expect(synchronous == pragma)
        try await storage.shutdown()
    }

    @Test("data outlives the process's storage object, and migrations run once")
    func reopen() async throws {
        let database = try TemporaryDatabase()
        let first = try await database.open()
        let alice = try await first.createUser(
            NewUser(username: "alice", displayName: "Alice", authSource: "local", createdAt: Date()), credential: nil)
        try await first.shutdown()
        let second = try await database.open()
        #expect(try await second.user(named: "alice")?.id == alice.id)
        try await second.shutdown()
    }

    @Test("accounts from before the name index are listed for indexing once migrated")
    func nameIndexUpgrade() async throws {
        let database = try TemporaryDatabase()
        try await database.open().shutdown()
        // Back to the schema before v4, with an account in it.
        let queue = try DatabaseQueue(path: database.path)
        try await queue.write { db in
            try db.execute(
                sql: """
                    DROP TABLE user_name_skeletons; ALTER TABLE users DROP COLUMN name_skeleton_version;
                    DELETE FROM grdb_migrations WHERE identifier = 'v4_name_skeletons';
                    INSERT INTO users (username, display_name, auth_source, created_at, updated_at) VALUES ('alice', 'Alice', 'local', 0, 0);
                    """)
        }
        try queue.close()
        let storage = try await database.open()
        let listed = try await storage.users(withoutNameSkeletonVersion: "v1", after: nil, limit: 10)
        #expect(listed.map(\.username) == ["alice"])
        try await storage.setNameSkeletons([listed[0].id: ["f:alice"]], version: "v1")
        #expect(try await storage.userIDs(withNameSkeletons: ["f:alice"]) == [listed[0].id])
        try await storage.shutdown()
    }

    @Test("refuses a database that a newer release migrated")
    func newerSchemaRefused() async throws {
        let database = try TemporaryDatabase()
        try await database.open().shutdown()
        let queue = try DatabaseQueue(path: database.path)
        try await queue.write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99_from_the_future')")
        }
        try queue.close()
        do {
            _ = try await database.open()
            Issue.record("opened a database migrated by a newer release")
        } catch let error as StorageError {
            #expect(error.isIncompatibleSchema)
            #expect(error.message.contains("v99_from_the_future"))
        }
    }

    @Test("a bad configuration names the key", arguments: [
        (#"{"synchronous": "sometimes"}"#, "synchronous"), (#"{"path": ""}"#, "path"), (#"{"busy_timeout_ms": -1}"#, "busy_timeout_ms"),
        (#"{"journal": "wal"}"#, "journal"),
    ])
    func badConfiguration(json: String, key: String) throws {
        var registry = PluginRegistry()
        registry.register(storage: SQLiteStorage.self)
        let factory = try #require(registry.storageFactory(named: "sqlite"))
        let value = try JSONDecoder().decode(ConfigValue.self, from: Data(json.utf8))
        do {
            _ = try factory.configuration(from: value)
            Issue.record("accepted \(json)")
        } catch let error as ConfigurationError {
            #expect(error.issues.first?.keyPath == [key])
        }
    }
}
