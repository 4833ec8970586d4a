public import Foundation

/// One entry of the server-wide audit log: what happened beyond any one room (a strategy swapped,
/// a room deleted, an operator command, an account changed), who or what did it, and when.
///
/// - Note: Added in EchoPluginAPI 1.7.
public struct ServerAuditEntry: Hashable, Sendable {
    /// Increases with time.
    public var id: Int64
    /// Who or what acted: a username, `SIGHUP`, `echochat reload`, `operator`.
    public var actor: String
    /// What happened, dotted: `strategy.swapped`, `room.deleted`, `user.disabled`.
    public var action: String
    /// Its particulars, as short strings (`revision`, `room`, `username`).
    public var details: [String: String]
    /// When.
    public var createdAt: Date

    /// Creates an entry value.
    public init(id: Int64, actor: String, action: String, details: [String: String], createdAt: Date) {
        self.id = id
        self.actor = actor
        self.action = action
        self.details = details
        self.createdAt = createdAt
    }
}

/// A storage that keeps the server-wide audit log, which room audit logs cannot hold (a deleted
/// room's log goes with it).
///
/// ```swift
/// extension MyStorage: ServerAuditStore {
///     public func recordServerAudit(actor: String, action: String, details: [String: String], at date: Date) async throws -> ServerAuditEntry { … }
///     public func serverAuditLog(before: Int64?, limit: Int) async throws -> [ServerAuditEntry] { … }
/// }
/// ```
///
/// Run `StorageConformance.serverAuditChecks`.
///
/// - Note: Added in EchoPluginAPI 1.7. Without it the host logs these events but cannot list them
///   (`GET /api/admin/audit` answers 503 `server_audit_unavailable`).
public protocol ServerAuditStore: Storage {
    /// Appends an entry; answers it with its id.
    func recordServerAudit(actor: String, action: String, details: [String: String], at date: Date) async throws -> ServerAuditEntry

    /// Up to `limit` entries, newest first, all older than the entry `before` when it is given.
    func serverAuditLog(before: Int64?, limit: Int) async throws -> [ServerAuditEntry]
}

extension ServerAuditEntry {
    /// `details` as stored: a JSON object of strings, keys sorted.
    public static func encode(details: [String: String]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(details)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    /// `details` read back; an unreadable value gives an empty object.
    public static func decode(details: String) -> [String: String] {
        (try? JSONDecoder().decode([String: String].self, from: Data(details.utf8))) ?? [:]
    }
}
