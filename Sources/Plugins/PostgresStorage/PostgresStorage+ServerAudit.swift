public import EchoPluginAPI
public import Foundation
import PostgresNIO

extension PostgresStorage: ServerAuditStore {
    public func recordServerAudit(actor: String, action: String, details: [String: String], at date: Date) async throws -> ServerAuditEntry {
        let encoded = ServerAuditEntry.encode(details: details)
        let millis = date.storageMilliseconds
        guard
            let row = try await row(
                """
                INSERT INTO server_audit (actor, action, details, created_at) VALUES (\(actor), \(action), \(encoded), \(millis))
                RETURNING id
                """)
        else { throw StorageError.unavailable("the server audit log did not return its new entry") }
        return ServerAuditEntry(
            id: try row.value("id"), actor: actor, action: action, details: details, createdAt: Date(storageMilliseconds: millis))
    }

    public func serverAuditLog(before: Int64?, limit: Int) async throws -> [ServerAuditEntry] {
        try await rows("SELECT * FROM server_audit WHERE id < \(before ?? Int64.max) ORDER BY id DESC LIMIT \(Int64(limit))").map { row in
            ServerAuditEntry(
                id: try row.value("id"), actor: try row.value("actor"), action: try row.value("action"),
                details: ServerAuditEntry.decode(details: try row.value("details")), createdAt: try row.date("created_at"))
        }
    }
}
