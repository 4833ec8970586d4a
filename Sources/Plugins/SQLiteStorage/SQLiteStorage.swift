public import EchoPluginAPI
import Foundation
import GRDB
import Logging

/// `storage.sqlite`: the embedded default backend, one file in WAL mode.
///
/// Every acknowledged write is committed before the host answers; with `synchronous` at its
/// default `full`, commits also survive power loss, not only a killed process.
public struct SQLiteStorage: StoragePlugin {
    public static let name = "sqlite"
    public static let apiVersion = PluginAPIVersion(1, 11)

    /// `{"path": "data/echochat.sqlite", "synchronous": "full", "busy_timeout_ms": 5000}`
    public struct Configuration: PluginConfiguration {
        /// The database file; relative paths are resolved against the working directory.
        /// Absent: `echochat.sqlite` in the host's data directory.
        public var path: String?
        /// SQLite's `synchronous` setting: `full` (default) or `normal` (a commit can be lost on
        /// power loss, never on a crash of the process).
        public var synchronous: Synchronous
        /// How long a write waits for another process (an operator's CLI) holding the lock.
        public var busyTimeoutMilliseconds: Int

        public enum Synchronous: String, Sendable, CaseIterable {
            case normal, full
        }

        enum CodingKeys: String, CodingKey {
            case path, synchronous
            case busyTimeoutMilliseconds = "busy_timeout_ms"
        }

        public init(path: String? = nil, synchronous: Synchronous = .full, busyTimeoutMilliseconds: Int = 5000) {
            self.path = path
            self.synchronous = synchronous
            self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            path = try container.decodeIfPresent(String.self, forKey: .path)
            let mode = try container.decodeIfPresent(String.self, forKey: .synchronous) ?? "full"
            guard let synchronous = Synchronous(rawValue: mode.lowercased()) else {
                throw ConfigIssue(key: "synchronous", "must be \"full\" or \"normal\", not \"\(mode)\"")
            }
            self.synchronous = synchronous
            busyTimeoutMilliseconds = try container.decodeIfPresent(Int.self, forKey: .busyTimeoutMilliseconds) ?? 5000
        }

        public func validate() throws {
            if let path, path.isEmpty { throw ConfigIssue(key: "path", "must not be empty") }
            guard (0...600_000).contains(busyTimeoutMilliseconds) else {
                throw ConfigIssue(key: "busy_timeout_ms", "must be between 0 and 600000")
            }
        }
    }

    let pool: DatabasePool
    /// The resolved database file path.
    public let path: String

    public init(configuration: Configuration, context: PluginContext) async throws {
        let path = configuration.path ?? URL(fileURLWithPath: context.dataDirectory).appendingPathComponent("echochat.sqlite").path
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw ConfigIssue(key: "path", "cannot create directory \(directory.path): \(error.localizedDescription)")
        }

        var options = GRDB.Configuration()
        options.foreignKeysEnabled = true
        options.busyMode = .timeout(Double(configuration.busyTimeoutMilliseconds) / 1000)
        let pool: DatabasePool
        do {
            pool = try DatabasePool(path: path, configuration: options)
        } catch {
            throw StorageError.unavailable("cannot open SQLite database \(path): \(Self.describe(error))")
        }
        do {
            // DatabasePool sets NORMAL on its writer after our setup; set the durability level last, and check it.
            let level = configuration.synchronous == .full ? 2 : 1
            let effective = try await pool.writeWithoutTransaction { db -> Int in
                try db.execute(sql: "PRAGMA synchronous = \(level)")
                return try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1
            }
            guard effective == level else {
                throw StorageError.unavailable("SQLite refused synchronous=\(configuration.synchronous.rawValue)")
            }
            try await Self.migrate(pool)
        } catch {
            try? pool.close()  // the start-up error below is the one worth reporting
            throw error
        }
        self.pool = pool
        self.path = path
        context.logger.debug(
            "SQLite database ready", metadata: ["path": "\(path)", "synchronous": "\(configuration.synchronous.rawValue)"])
    }

    public func checkHealth() async throws {
        try await read { db in _ = try Int.fetchOne(db, sql: "SELECT 1") }
    }

    public func shutdown() async throws {
        try pool.close()
    }

    /// Runs a write transaction, translating SQLite errors into ``StorageError``.
    func perform<T: Sendable>(_ work: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await pool.write(work)
        } catch let error as DatabaseError {
            throw Self.translate(error)
        }
    }

    /// Runs a read, translating SQLite errors into ``StorageError``.
    func read<T: Sendable>(_ work: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await pool.read(work)
        } catch let error as DatabaseError {
            throw Self.translate(error)
        }
    }

    static func translate(_ error: DatabaseError) -> StorageError {
        switch error.extendedResultCode {
        case .SQLITE_CONSTRAINT_UNIQUE, .SQLITE_CONSTRAINT_PRIMARYKEY:
            return .conflict(describe(error))
        case .SQLITE_CONSTRAINT_FOREIGNKEY:
            return .notFound(describe(error))
        default:
            return .unavailable(describe(error))
        }
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? DatabaseError {
            return "SQLite error \(error.extendedResultCode.rawValue): \(error.message ?? "unknown")"
        }
        return String(describing: error)
    }
}

extension Date {
    /// Milliseconds since 1970, the representation every EchoChat backend stores.
    var storageMilliseconds: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }

    init(storageMilliseconds: Int64) {
        self.init(timeIntervalSince1970: Double(storageMilliseconds) / 1000)
    }
}

extension SQLiteStorage {
    /// The journal mode and the writer's `synchronous` level, for diagnostics.
    public func pragmas() async throws -> (journalMode: String, synchronous: Int) {
        try await perform { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "", try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1)
        }
    }
}

extension Database {
    // Statements go through the connection's statement cache, so hot queries are compiled once
    // per connection rather than on every call.

    /// Runs a statement.
    func run(_ sql: String, _ arguments: StatementArguments = []) throws {
        try cachedStatement(sql: sql).execute(arguments: arguments)
    }

    /// The first row of a query, or `nil`.
    func row(_ sql: String, _ arguments: StatementArguments = []) throws -> Row? {
        try Row.fetchOne(cachedStatement(sql: sql), arguments: arguments)
    }

    /// All rows of a query.
    func rows(_ sql: String, _ arguments: StatementArguments = []) throws -> [Row] {
        try Row.fetchAll(cachedStatement(sql: sql), arguments: arguments)
    }
}
