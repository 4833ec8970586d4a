public import EchoPluginAPI
import Foundation
import GRDB

extension SQLiteStorage: StorageTransfer {
    /// Every table this storage moves, and checks empty before an import.
    static let transferTables =
        TransferTable.all + [
            TransferTable.serverAudit, .voiceBans, .reactions, .messageReplies, .messageThreads, .directConversations, .userBlocks,
            .directMessagePolicies, .readMarkers, .messageMentions,
        ]

    /// Gives each message without one its ordinal in its room, in id order.
    static let numberMessages = """
        UPDATE messages SET seq = numbered.n
        FROM (SELECT id, row_number() OVER (PARTITION BY room_id ORDER BY id) AS n FROM messages) AS numbered
        WHERE numbered.id = messages.id AND messages.seq IS NULL
        """

    public func withTransferSnapshot<T: Sendable>(_ body: @Sendable (any TransferReader) async throws -> T) async throws -> T {
        // A snapshot is a read transaction kept open: one consistent view, however many reads it takes.
        let snapshot: DatabaseSnapshot
        do {
            snapshot = try pool.makeSnapshot()
        } catch let error as DatabaseError {
            throw Self.translate(error)
        }
        return try await body(SQLiteTransferReader(snapshot: snapshot))
    }

    public func importTransfer(_ body: @Sendable (any TransferWriter) async throws -> Void) async throws {
        // The import's transaction spans many awaits, which GRDB allows only on a connection
        // configured for it: a connection of its own, used by nothing else meanwhile.
        var options = GRDB.Configuration()
        options.foreignKeysEnabled = true
        options.allowsUnsafeTransactions = true
        options.busyMode = .timeout(10)
        let queue: DatabaseQueue
        do {
            queue = try DatabaseQueue(path: path, configuration: options)
        } catch let error as DatabaseError {
            throw Self.translate(error)
        }
        defer { try? queue.close() }
        do {
            try await queue.writeWithoutTransaction { db in
                try db.execute(sql: "BEGIN IMMEDIATE")
                for table in Self.transferTables where try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table.name)") ?? 0 > 0 {
                    try db.execute(sql: "ROLLBACK")
                    throw StorageError.conflict("the SQLite database \(path) already holds data (table \(table.name)); migrate into an empty one")
                }
            }
            do {
                try await body(SQLiteTransferWriter(queue: queue))
                // Messages arrive without their per-room ordinals; they are numbered in id order.
                try await queue.writeWithoutTransaction { db in
                    try db.execute(sql: SQLiteStorage.numberMessages)
                    try db.execute(sql: "COMMIT")
                }
            } catch {
                try? await queue.writeWithoutTransaction { db in if db.isInsideTransaction { try db.execute(sql: "ROLLBACK") } }
                throw error
            }
        } catch let error as DatabaseError {
            throw Self.translate(error)
        }
    }
}

struct SQLiteTransferReader: TransferReader {
    let snapshot: DatabaseSnapshot

    func count(of table: TransferTable) async throws -> Int {
        try await snapshot.read { db in try TransferSQL.count(of: table, db) }
    }

    func rows(of table: TransferTable, after: [TransferValue]?, limit: Int) async throws -> [[TransferValue]] {
        try await snapshot.read { db in try TransferSQL.rows(of: table, after: after, limit: limit, db) }
    }
}

struct SQLiteTransferWriter: TransferWriter {
    let queue: DatabaseQueue

    func count(of table: TransferTable) async throws -> Int {
        try await queue.writeWithoutTransaction { db in try TransferSQL.count(of: table, db) }
    }

    func rows(of table: TransferTable, after: [TransferValue]?, limit: Int) async throws -> [[TransferValue]] {
        try await queue.writeWithoutTransaction { db in try TransferSQL.rows(of: table, after: after, limit: limit, db) }
    }

    func insert(_ rows: [[TransferValue]], into table: TransferTable) async throws {
        guard !rows.isEmpty else { return }
        let sql = "INSERT INTO \(table.name) (\(table.columns.map(\.name).joined(separator: ", "))) VALUES (\(databaseQuestionMarks(count: table.columns.count)))"
        try await queue.writeWithoutTransaction { db in
            let statement = try db.makeStatement(sql: sql)
            for row in rows {
                guard row.count == table.columns.count else {
                    throw StorageError.invalidData("a \(table.name) row has \(row.count) values, not \(table.columns.count)")
                }
                try statement.execute(arguments: StatementArguments(row.map(\.databaseValue)))
            }
        }
    }
}

/// The statements behind both transfer directions.
enum TransferSQL {
    static func count(of table: TransferTable, _ db: Database) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table.name)") ?? 0
    }

    static func rows(of table: TransferTable, after: [TransferValue]?, limit: Int, _ db: Database) throws -> [[TransferValue]] {
        let key = table.primaryKey.joined(separator: ", ")
        var sql = "SELECT \(table.columns.map(\.name).joined(separator: ", ")) FROM \(table.name)"
        var arguments = StatementArguments()
        if let after {
            sql += " WHERE (\(key)) > (\(databaseQuestionMarks(count: after.count)))"
            arguments = StatementArguments(after.map(\.databaseValue))
        }
        sql += " ORDER BY \(key) LIMIT \(limit)"
        return try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
            try table.columns.enumerated().map { index, column in
                let value: DatabaseValue = row[index]
                if value.isNull { return .null }
                // SQLite stores whatever a column is given: a value of the wrong kind is damage
                // to report, never something to turn into NULL.
                let converted: TransferValue? =
                    switch (column.kind, value.storage) {
                    case (.integer, .int64(let number)): .integer(number)
                    case (.boolean, .int64(let number)) where number == 0 || number == 1: .boolean(number == 1)
                    case (.text, .string(let text)): .text(text)
                    default: nil
                    }
                guard let converted else {
                    throw StorageError.invalidData("\(table.name).\(column.name) holds \(value), not a \(column.kind) value")
                }
                return converted
            }
        }
    }
}

extension TransferValue {
    var databaseValue: DatabaseValue {
        switch self {
        case .null: .null
        case .integer(let value): value.databaseValue
        case .text(let value): value.databaseValue
        case .boolean(let value): value.databaseValue
        }
    }
}

extension SQLiteStorage: StorageBackup {
    /// `VACUUM INTO`: a compact, consistent copy taken in one read transaction, while the server
    /// keeps serving (writers are not blocked in WAL mode).
    public func backup(to path: String) async throws -> String {
        guard !FileManager.default.fileExists(atPath: path) else { throw StorageError.conflict("\(path) already exists") }
        // VACUUM INTO opens its own read transaction, so it runs outside GRDB's.
        do {
            try await pool.unsafeRead { db in try db.execute(sql: "VACUUM INTO ?", arguments: [path]) }
        } catch let error as DatabaseError {
            throw Self.translate(error)
        }
        return "SQLite copy of \(self.path) written to \(path); to restore, stop EchoChat and put it in place of the database file"
    }
}
