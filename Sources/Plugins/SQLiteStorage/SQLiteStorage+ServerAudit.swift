public import EchoPluginAPI
public import Foundation
import GRDB

extension SQLiteStorage: ServerAuditStore {
    public func recordServerAudit(actor: String, action: String, details: [String: String], at date: Date) async throws -> ServerAuditEntry {
        let encoded = ServerAuditEntry.encode(details: details)
        return try await perform { db in
            try db.execute(
                sql: "INSERT INTO server_audit (actor, action, details, created_at) VALUES (?, ?, ?, ?)",
                arguments: [actor, action, encoded, date.storageMilliseconds])
            return ServerAuditEntry(
                id: db.lastInsertedRowID, actor: actor, action: action, details: details,
                createdAt: Date(storageMilliseconds: date.storageMilliseconds))
        }
    }

    public func serverAuditLog(before: Int64?, limit: Int) async throws -> [ServerAuditEntry] {
        try await read { db in
            try db.rows("SELECT * FROM server_audit WHERE id < ? ORDER BY id DESC LIMIT ?", [before ?? Int64.max, limit]).map { row in
                ServerAuditEntry(
                    id: row["id"], actor: row["actor"], action: row["action"], details: ServerAuditEntry.decode(details: row["details"]),
                    createdAt: Date(storageMilliseconds: row["created_at"]))
            }
        }
    }
}
