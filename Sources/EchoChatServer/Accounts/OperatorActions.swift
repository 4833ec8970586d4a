import EchoPluginAPI
import Foundation

/// What an operator does to accounts (`echochat user disable|enable|set-admin`), with the same
/// effect whether the running server carries it out (its sockets close at once, on every
/// instance) or the command works on storage alone because no server runs.
struct OperatorActions: Sendable {
    let storage: any Storage
    /// Ends sessions and closes real-time connections; `nil` outside a running server.
    let sessions: SessionService?
    /// Where each action is recorded, as done by `operator`.
    let audit: ServerAudit

    func disable(_ name: String) async throws -> String {
        let user = try await user(named: name)
        _ = try await storage.updateUser(user.id, UserUpdate(isDisabled: true))
        let ended: Int
        if let sessions {
            ended = try await sessions.endAccess(of: user, reason: "disabled by an operator")
        } else {
            ended = try await storage.revokeSessions(of: user.id, at: Date())
        }
        await audit.record(actor: "operator", action: "user.disabled", details: ["username": user.username, "sessions_ended": String(ended)])
        return "disabled \(user.username); ended \(ended) session\(ended == 1 ? "" : "s")"
    }

    func enable(_ name: String) async throws -> String {
        let user = try await user(named: name)
        _ = try await storage.updateUser(user.id, UserUpdate(isDisabled: false))
        await audit.record(actor: "operator", action: "user.enabled", details: ["username": user.username])
        return "enabled \(user.username)"
    }

    func setAdmin(_ name: String, revoke: Bool) async throws -> String {
        let user = try await user(named: name)
        _ = try await storage.updateUser(user.id, UserUpdate(isAdmin: !revoke))
        await audit.record(actor: "operator", action: revoke ? "user.admin_revoked" : "user.admin_granted", details: ["username": user.username])
        return "\(user.username) is \(revoke ? "no longer" : "now") a server administrator"
    }

    private func user(named name: String) async throws -> User {
        guard let username = Usernames.canonical(name), let user = try await storage.user(named: username) else {
            throw EchoError.notFound("no user named \(name)", code: "user_not_found")
        }
        return user
    }
}
