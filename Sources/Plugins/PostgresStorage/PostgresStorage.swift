public import EchoPluginAPI
import Foundation
import Logging
import NIOCore
import NIOSSL
import PostgresNIO
public import ServiceLifecycle
import Synchronization

/// `storage.postgres`: shared storage for one or several EchoChat instances.
///
/// Queries go through a pooled `PostgresClient`, which runs as this plugin's service in the host's
/// service group. Migrations run once at start-up on their own connection, under an advisory lock,
/// so instances starting together never race. Every operation has a deadline: when PostgreSQL is
/// down or unreachable, callers get ``StorageError/unavailable(_:)`` within it, and the pool
/// reconnects by itself once the database is back.
public struct PostgresStorage: StoragePlugin, Service {
    public static let name = "postgres"
    public static let apiVersion = PluginAPIVersion(1, 11)

    /// `{"url": "postgres://user:password@host:5432/db", "pool_size": 10, "tls": "disable"}`
    ///
    /// `DATABASE_URL` in the environment takes the place of `url`. Instead of a URL, `host`,
    /// `port`, `user`, `password` (or `password_file`) and `database` may be given.
    public struct Configuration: PluginConfiguration {
        public var url: String?
        public var host: String?
        public var port: Int?
        public var user: String?
        public var password: String?
        public var passwordFile: String?
        public var database: String?
        /// Connections in the pool (1–200).
        public var poolSize: Int
        /// `disable`, `prefer` or `require` (TLS with the server certificate verified).
        public var tls: TLSMode
        /// Certificate authorities to trust for `require`, instead of the system's.
        public var caFile: String?
        /// How long connecting may take.
        public var connectTimeoutMilliseconds: Int
        /// How long one storage operation may take before it fails as unavailable.
        public var operationTimeoutMilliseconds: Int

        public enum TLSMode: String, Sendable, CaseIterable {
            case disable, prefer, require
        }

        enum CodingKeys: String, CodingKey {
            case url, host, port, user, password, database, tls
            case passwordFile = "password_file"
            case poolSize = "pool_size"
            case caFile = "ca_file"
            case connectTimeoutMilliseconds = "connect_timeout_ms"
            case operationTimeoutMilliseconds = "operation_timeout_ms"
        }

        public init(
            url: String? = nil, poolSize: Int = 10, tls: TLSMode = .disable, connectTimeoutMilliseconds: Int = 5000,
            operationTimeoutMilliseconds: Int = 10_000
        ) {
            self.url = url
            self.poolSize = poolSize
            self.tls = tls
            self.connectTimeoutMilliseconds = connectTimeoutMilliseconds
            self.operationTimeoutMilliseconds = operationTimeoutMilliseconds
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            url = try container.decodeIfPresent(String.self, forKey: .url)
            host = try container.decodeIfPresent(String.self, forKey: .host)
            port = try container.decodeIfPresent(Int.self, forKey: .port)
            user = try container.decodeIfPresent(String.self, forKey: .user)
            password = try container.decodeIfPresent(String.self, forKey: .password)
            passwordFile = try container.decodeIfPresent(String.self, forKey: .passwordFile)
            database = try container.decodeIfPresent(String.self, forKey: .database)
            poolSize = try container.decodeIfPresent(Int.self, forKey: .poolSize) ?? 10
            let mode = try container.decodeIfPresent(String.self, forKey: .tls) ?? "disable"
            guard let tls = TLSMode(rawValue: mode.lowercased()) else {
                throw ConfigIssue(key: "tls", "must be \"disable\", \"prefer\" or \"require\", not \"\(mode)\"")
            }
            self.tls = tls
            caFile = try container.decodeIfPresent(String.self, forKey: .caFile)
            connectTimeoutMilliseconds = try container.decodeIfPresent(Int.self, forKey: .connectTimeoutMilliseconds) ?? 5000
            operationTimeoutMilliseconds = try container.decodeIfPresent(Int.self, forKey: .operationTimeoutMilliseconds) ?? 10_000
        }

        public func validate() throws {
            if url != nil, host != nil || port != nil || user != nil || database != nil {
                throw ConfigIssue(key: "url", "give either url or host/port/user/database, not both")
            }
            if password != nil, passwordFile != nil {
                throw ConfigIssue(key: "password_file", "give either password or password_file, not both")
            }
            if let url { _ = try ConnectionSettings(url: url) }
            if let port, !(1...65_535).contains(port) { throw ConfigIssue(key: "port", "must be between 1 and 65535") }
            guard (1...200).contains(poolSize) else { throw ConfigIssue(key: "pool_size", "must be between 1 and 200") }
            guard (100...120_000).contains(connectTimeoutMilliseconds) else {
                throw ConfigIssue(key: "connect_timeout_ms", "must be between 100 and 120000")
            }
            guard (100...600_000).contains(operationTimeoutMilliseconds) else {
                throw ConfigIssue(key: "operation_timeout_ms", "must be between 100 and 600000")
            }
            if caFile != nil, tls != .require { throw ConfigIssue(key: "ca_file", "is only used with \"tls\": \"require\"") }
        }
    }

    let client: PostgresClient
    let settings: ConnectionSettings
    let tlsMode: Configuration.TLSMode
    let caFile: String?
    let operationTimeout: Duration
    let logger: Logger
    /// Where the database is, without credentials: for logs and diagnostics.
    public var location: String { settings.location }

    public init(configuration: Configuration, context: PluginContext) async throws {
        try await self.init(configuration: configuration, environment: ProcessInfo.processInfo.environment, logger: context.logger)
    }

    /// Connects with `configuration`, where `environment["DATABASE_URL"]` overrides `url`.
    public init(configuration: Configuration, environment: [String: String], logger: Logger) async throws {
        let settings = try ConnectionSettings(configuration: configuration, environment: environment)
        let tls = try ConnectionSettings.tls(configuration.tls, caFile: configuration.caFile)
        var clientConfiguration = PostgresClient.Configuration(
            host: settings.host, port: settings.port, username: settings.user, password: settings.password,
            database: settings.database, tls: tls.client)
        clientConfiguration.options.maximumConnections = configuration.poolSize
        clientConfiguration.options.minimumConnections = 0
        clientConfiguration.options.connectTimeout = .milliseconds(configuration.connectTimeoutMilliseconds)
        clientConfiguration.options.keepAliveBehavior = .init(frequency: .seconds(30))
        // A statement waiting on a lock past the deadline gives up on the server too, and a
        // transaction whose client vanished mid-way does not hold its locks for long.
        clientConfiguration.options.additionalStartupParameters = [
            ("lock_timeout", "\(configuration.operationTimeoutMilliseconds)"),
            ("idle_in_transaction_session_timeout", "\(max(60_000, 6 * configuration.operationTimeoutMilliseconds))"),
        ]
        self.settings = settings
        self.tlsMode = configuration.tls
        self.caFile = configuration.caFile
        self.operationTimeout = .milliseconds(configuration.operationTimeoutMilliseconds)
        self.logger = logger
        self.client = PostgresClient(configuration: clientConfiguration, backgroundLogger: Self.quiet(logger))

        var connectionConfiguration = PostgresConnection.Configuration(
            host: settings.host, port: settings.port, username: settings.user, password: settings.password,
            database: settings.database, tls: tls.connection)
        connectionConfiguration.options.connectTimeout = .milliseconds(Int64(configuration.connectTimeoutMilliseconds))
        let schema = try await Self.migrate(connectionConfiguration, location: settings.location, logger: logger)
        logger.debug("PostgreSQL database ready", metadata: ["database": "\(settings.location)", "schema": "\(schema)"])
        self.connectionConfiguration = connectionConfiguration
    }

    /// For connections outside the pool: migrations and the LISTEN connection.
    let connectionConfiguration: PostgresConnection.Configuration

    /// Runs the connection pool until the service group shuts down.
    public func run() async throws {
        await client.run()
    }

    public func checkHealth() async throws {
        _ = try await rows("SELECT 1")
    }

    /// The pool's background logger reports every failed reconnect attempt; those are expected
    /// while the database restarts, so it logs only from warnings up.
    static func quiet(_ logger: Logger) -> Logger {
        var logger = logger
        if logger.logLevel < .warning { logger.logLevel = .warning }
        return logger
    }
}

// MARK: - Queries

extension PostgresStorage {
    /// The rows of one statement, run on a pooled connection.
    func rows(_ query: PostgresQuery) async throws -> [PostgresRandomAccessRow] {
        try await withDeadline {
            try await client.query(query, logger: logger).collect().map { $0.makeRandomAccess() }
        }
    }

    /// The first row of one statement, or `nil`.
    func row(_ query: PostgresQuery) async throws -> PostgresRandomAccessRow? {
        try await rows(query).first
    }

    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws.
    func transaction<T: Sendable>(_ body: @escaping @Sendable (Transaction) async throws -> T) async throws -> T {
        try await withDeadline {
            try await client.withConnection { connection in
                let transaction = Transaction(connection: connection, logger: logger)
                try await transaction.run("BEGIN")
                do {
                    let value = try await body(transaction)
                    try await transaction.run("COMMIT")
                    return value
                } catch {
                    // The connection is returned to the pool; a failed ROLLBACK means it is broken
                    // and the pool replaces it. The body's error is the one to report.
                    _ = try? await transaction.run("ROLLBACK")
                    throw error
                }
            }
        }
    }

    /// Runs `work` with the operation deadline, translating PostgreSQL's errors into ``StorageError``.
    ///
    /// The caller gets its answer when `work` finishes or the deadline passes, whichever comes
    /// first: a query waiting on a dead connection cannot be interrupted, so `work` runs as a
    /// task of its own that is cancelled (and left to finish) when the deadline wins. Server-side
    /// `lock_timeout` and `idle_in_transaction_session_timeout` keep such leftovers from holding
    /// locks for long.
    func withDeadline<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) async throws -> T {
        let timeout = operationTimeout
        let location = settings.location
        let race = DeadlineRace<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                race.start(
                    continuation,
                    worker: Task {
                        do {
                            race.finish(.success(try await work()))
                        } catch {
                            race.finish(.failure(Self.translate(error, location: location)))
                        }
                    },
                    timer: Task {
                        try await Task.sleep(for: timeout)
                        race.finish(.failure(StorageError.unavailable("PostgreSQL at \(location) did not answer within \(timeout)")))
                    })
            }
        } onCancel: {
            race.finish(.failure(CancellationError()))
        }
    }

    /// Maps driver errors to ``StorageError``: unique violations are conflicts, foreign-key
    /// violations are missing rows, anything about the connection is unavailability. Messages
    /// carry PostgreSQL's own text and SQLSTATE, never the connection's credentials.
    static func translate(_ error: any Error, location: String) -> any Error {
        switch error {
        case is StorageError, is CancellationError:
            return error
        case let error as PSQLError:
            if error.code == .server, let state = error.serverInfo?[.sqlState] {
                let text = "PostgreSQL error \(state): \(error.serverInfo?[.message] ?? "unknown")"
                switch state {
                case "23505": return StorageError.conflict(text)
                case "23503": return StorageError.notFound(text)
                case "22001", "22003", "22021", "22P02", "23502", "23514": return StorageError.invalidData(text)
                default: return StorageError.unavailable(text)
                }
            }
            return StorageError.unavailable("PostgreSQL at \(location) is unreachable (\(error.code))")
        default:
            return StorageError.unavailable("PostgreSQL at \(location) is unreachable (\(type(of: error)))")
        }
    }
}

/// The two sides of ``PostgresStorage/withDeadline(_:)``: whichever finishes first answers the
/// caller and cancels the other.
final class DeadlineRace<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var early: Result<T, any Error>?
        var worker: Task<Void, Never>?
        var timer: Task<Void, any Error>?
        var isFinished = false
    }

    private let state = Mutex(State())

    func start(_ continuation: CheckedContinuation<T, any Error>, worker: Task<Void, Never>, timer: Task<Void, any Error>) {
        let early = state.withLock { state -> Result<T, any Error>? in
            state.worker = worker
            state.timer = timer
            if let early = state.early { return early }
            state.continuation = continuation
            return nil
        }
        if let early {
            worker.cancel()
            timer.cancel()
            continuation.resume(with: early)
        }
    }

    func finish(_ result: Result<T, any Error>) {
        let (continuation, worker, timer) = state.withLock { state -> (CheckedContinuation<T, any Error>?, Task<Void, Never>?, Task<Void, any Error>?) in
            guard !state.isFinished else { return (nil, nil, nil) }
            state.isFinished = true
            guard let continuation = state.continuation else {
                state.early = result  // finished before start() stored the continuation
                return (nil, nil, nil)
            }
            state.continuation = nil
            return (continuation, state.worker, state.timer)
        }
        worker?.cancel()
        timer?.cancel()
        continuation?.resume(with: result)
    }
}

/// One open transaction on a leased connection, used by one task at a time inside
/// ``PostgresStorage/transaction(_:)``.
struct Transaction: Sendable {
    let connection: PostgresConnection
    let logger: Logger

    /// Runs a statement and discards its rows.
    func run(_ query: PostgresQuery) async throws {
        _ = try await connection.query(query, logger: logger).collect()
    }

    func rows(_ query: PostgresQuery) async throws -> [PostgresRandomAccessRow] {
        try await connection.query(query, logger: logger).collect().map { $0.makeRandomAccess() }
    }

    func row(_ query: PostgresQuery) async throws -> PostgresRandomAccessRow? {
        try await rows(query).first
    }
}

extension PostgresRandomAccessRow {
    /// The value of column `name`.
    func value<T: PostgresDecodable>(_ name: String, as type: T.Type = T.self) throws -> T {
        try self[name].decode(T.self)
    }

    /// A millisecond timestamp column as a date.
    func date(_ name: String) throws -> Date {
        Date(storageMilliseconds: try value(name, as: Int64.self))
    }

    func optionalDate(_ name: String) throws -> Date? {
        try value(name, as: Int64?.self).map(Date.init(storageMilliseconds:))
    }
}

extension Date {
    /// Milliseconds since 1970, the representation every EchoChat backend stores.
    var storageMilliseconds: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }

    init(storageMilliseconds: Int64) {
        self.init(timeIntervalSince1970: Double(storageMilliseconds) / 1000)
    }
}
