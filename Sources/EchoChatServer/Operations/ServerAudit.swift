import EchoPluginAPI
import Foundation
import Logging

/// The server-wide audit log: strategy swaps, room deletions, operator commands and account
/// changes, with who or what did them. Kept in storage when the storage keeps one
/// (``ServerAuditStore``), and logged either way. Recording never fails the action it records:
/// a storage error is logged instead.
struct ServerAudit: Sendable {
    let storage: any Storage
    let logger: Logger

    var store: (any ServerAuditStore)? { storage as? any ServerAuditStore }

    func record(actor: String, action: String, details: [String: String], at date: Date = Date()) async {
        var metadata: Logger.Metadata = ["actor": "\(actor)", "action": "\(action)"]
        for (key, value) in details { metadata[key] = "\(value)" }
        logger.notice("audit", metadata: metadata)
        guard let store else { return }
        do {
            _ = try await store.recordServerAudit(actor: actor, action: action, details: details, at: date)
        } catch {
            logger.error("the server audit log could not record an entry", metadata: ["action": "\(action)", "error": "\(error)"])
        }
    }
}
