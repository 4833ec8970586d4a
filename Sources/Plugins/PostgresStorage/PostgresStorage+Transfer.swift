public import EchoPluginAPI
import Foundation
import Logging
import PostgresNIO

extension PostgresStorage: StorageTransfer {
    /// Every table this storage moves, and checks empty before an import.
    static let transferTables =
        TransferTable.all + [
            TransferTable.serverAudit, .voiceBans, .reactions, .messageReplies, .messageThreads, .directConversations, .userBlocks,
            .directMessagePolicies, .readMarkers, .messageMentions,
        ]

    /// Gives each message without one its ordinal in its room, in id order.
    static let numberMessages = """
        UPDATE messages m SET seq = numbered.n
        FROM (SELECT id, row_number() OVER (PARTITION BY room_id ORDER BY id) AS n FROM messages) numbered
        WHERE numbered.id = m.id AND m.seq IS NULL
        """

    /// Sets each room's last ordinal from its messages.
    static let countRoomSequences = """
        INSERT INTO room_sequences (room_id, last_seq)
        SELECT id, COALESCE((SELECT max(seq) FROM messages WHERE room_id = rooms.id), 0) FROM rooms
        ON CONFLICT (room_id) DO UPDATE SET last_seq = excluded.last_seq
        """

    public func withTransferSnapshot<T: Sendable>(_ body: @Sendable (any TransferReader) async throws -> T) async throws -> T {
        do {
            return try await client.withConnection { connection in
                // One REPEATABLE READ transaction: every read sees the same snapshot.
                let reader = PostgresTransferReader(connection: connection, logger: logger)
                try await reader.run("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                do {
                    let value = try await body(reader)
                    try await reader.run("COMMIT")
                    return value
                } catch {
                    _ = try? await reader.run("ROLLBACK")
                    throw error
                }
            }
        } catch {
            throw Self.translate(error, location: settings.location)
        }
    }

    public func importTransfer(_ body: @Sendable (any TransferWriter) async throws -> Void) async throws {
        let location = settings.location
        do {
            try await client.withConnection { connection in
                let writer = PostgresTransferWriter(connection: connection, logger: logger)
                try await writer.run("BEGIN")
                do {
                    for table in Self.transferTables {
                        let rows = try await connection.query(PostgresQuery(unsafeSQL: "SELECT 1 FROM \(table.name) LIMIT 1"), logger: logger).collect()
                        guard rows.isEmpty else {
                            throw StorageError.conflict(
                                "the PostgreSQL database \(location) already holds data (table \(table.name)); migrate into an empty one")
                        }
                    }
                    try await body(writer)
                    // Messages arrive without their per-room ordinals; they are numbered in id order.
                    try await writer.run(PostgresQuery(unsafeSQL: PostgresStorage.numberMessages))
                    try await writer.run(PostgresQuery(unsafeSQL: PostgresStorage.countRoomSequences))
                    // Rows came with their ids: move the identity sequences past them.
                    for table in ["users", "rooms", "messages", "audit_log", "server_audit"] {
                        try await writer.run(
                            PostgresQuery(
                                unsafeSQL: """
                                    SELECT setval(pg_get_serial_sequence('\(table)', 'id'), COALESCE((SELECT max(id) FROM \(table)), 1),
                                        (SELECT max(id) FROM \(table)) IS NOT NULL)
                                    """))
                    }
                    try await writer.run("COMMIT")
                } catch {
                    _ = try? await writer.run("ROLLBACK")
                    throw error
                }
            }
        } catch {
            throw Self.translate(error, location: location)
        }
    }
}

struct PostgresTransferReader: TransferReader {
    let connection: PostgresConnection
    let logger: Logger

    func run(_ query: PostgresQuery) async throws {
        _ = try await connection.query(query, logger: logger).collect()
    }

    func count(of table: TransferTable) async throws -> Int {
        let rows = try await connection.query(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table.name)"), logger: logger).collect()
        return Int(try rows.first?.decode(Int64.self) ?? 0)
    }

    func rows(of table: TransferTable, after: [TransferValue]?, limit: Int) async throws -> [[TransferValue]] {
        // Text keys compare byte by byte (the "C" collation), as SQLite compares them: both sides
        // of a migration then read rows in the same order, whatever the database's locale.
        let key = table.primaryKey.map { name in
            table.columns.first { $0.name == name }?.kind == .text ? "\(name) COLLATE \"C\"" : name
        }.joined(separator: ", ")
        var sql = "SELECT \(table.columns.map(\.name).joined(separator: ", ")) FROM \(table.name)"
        var binds = PostgresBindings()
        if let after {
            for value in after { value.append(to: &binds) }
            sql += " WHERE (\(key)) > (\((1...after.count).map { "$\($0)" }.joined(separator: ", ")))"
        }
        sql += " ORDER BY \(key) LIMIT \(limit)"
        return try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger).collect().map { row in
            let cells = row.makeRandomAccess()
            return try table.columns.enumerated().map { index, column in
                let cell = cells[index]
                switch column.kind {
                case .integer: return try cell.decode(Int64?.self).map(TransferValue.integer) ?? .null
                case .text: return try cell.decode(String?.self).map(TransferValue.text) ?? .null
                case .boolean: return try cell.decode(Bool?.self).map(TransferValue.boolean) ?? .null
                }
            }
        }
    }
}

struct PostgresTransferWriter: TransferWriter {
    let connection: PostgresConnection
    let logger: Logger

    func count(of table: TransferTable) async throws -> Int {
        try await PostgresTransferReader(connection: connection, logger: logger).count(of: table)
    }

    func rows(of table: TransferTable, after: [TransferValue]?, limit: Int) async throws -> [[TransferValue]] {
        try await PostgresTransferReader(connection: connection, logger: logger).rows(of: table, after: after, limit: limit)
    }

    func run(_ query: PostgresQuery) async throws {
        _ = try await connection.query(query, logger: logger).collect()
    }

    func insert(_ rows: [[TransferValue]], into table: TransferTable) async throws {
        let width = table.columns.count
        // Multi-row INSERTs, within PostgreSQL's 65535 parameters per statement.
        let perStatement = max(1, 30_000 / width)
        for start in stride(from: 0, to: rows.count, by: perStatement) {
            let batch = rows[start..<min(start + perStatement, rows.count)]
            var binds = PostgresBindings(capacity: batch.count * width)
            var tuples: [String] = []
            var parameter = 0
            for row in batch {
                guard row.count == width else { throw StorageError.invalidData("a \(table.name) row has \(row.count) values, not \(width)") }
                var placeholders: [String] = []
                for (value, column) in zip(row, table.columns) {
                    parameter += 1
                    value.append(to: &binds)
                    // Typed placeholders: NULLs bind without a type of their own.
                    placeholders.append("$\(parameter)::\(column.kind.postgresType)")
                }
                tuples.append("(" + placeholders.joined(separator: ", ") + ")")
            }
            let sql = "INSERT INTO \(table.name) (\(table.columns.map(\.name).joined(separator: ", "))) VALUES " + tuples.joined(separator: ", ")
            try await run(PostgresQuery(unsafeSQL: sql, binds: binds))
        }
    }
}

extension TransferTable.Column.Kind {
    var postgresType: String {
        switch self {
        case .integer: "bigint"
        case .text: "text"
        case .boolean: "boolean"
        }
    }
}

extension TransferValue {
    func append(to binds: inout PostgresBindings) {
        switch self {
        case .null: binds.appendNull()
        case .integer(let value): binds.append(value)
        case .text(let value): binds.append(value)
        case .boolean(let value): binds.append(value)
        }
    }
}

extension PostgresStorage: StorageBackup {
    /// Runs `pg_dump --format=custom`, which reads one consistent snapshot while the server keeps
    /// writing. The password goes to pg_dump in its environment, never on its command line.
    public func backup(to path: String) async throws -> String {
        guard !FileManager.default.fileExists(atPath: path) else { throw StorageError.conflict("\(path) already exists") }
        let candidates = ["/usr/bin/pg_dump"] + ((try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? [])
            .sorted { (Int($0) ?? 0) > (Int($1) ?? 0) }.map { "/usr/lib/postgresql/\($0)/bin/pg_dump" }
        guard let pgDump = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw StorageError.unavailable("pg_dump is not installed (Debian: apt-get install postgresql-client)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: pgDump)
        process.arguments = [
            "--format=custom", "--no-owner", "--file=\(path)", "--host=\(settings.host)", "--port=\(settings.port)",
            "--username=\(settings.user)", "--dbname=\(settings.database ?? settings.user)", "--no-password",
        ]
        var environment = ProcessInfo.processInfo.environment
        environment["PGPASSWORD"] = settings.password
        environment["PGCONNECT_TIMEOUT"] = "10"
        // pg_dump connects as the server does: verified TLS for "require", none for "disable".
        switch tlsMode {
        case .disable: environment["PGSSLMODE"] = "disable"
        case .prefer: environment["PGSSLMODE"] = "prefer"
        case .require:
            environment["PGSSLMODE"] = "verify-full"
            if let caFile { environment["PGSSLROOTCERT"] = caFile } else { environment["PGSSLROOTCERT"] = "system" }
        }
        process.environment = environment
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            try? FileManager.default.removeItem(atPath: path)
            throw StorageError.unavailable("pg_dump failed (\(process.terminationStatus)): \(message.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return "pg_dump of \(settings.location) written to \(path); restore into an empty database with: pg_restore --no-owner --dbname=<database> \(path)"
    }
}
