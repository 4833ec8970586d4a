import EchoPluginAPI
import Foundation
import Logging
import ServiceLifecycle

/// Re-checks, every `interval`, each account an auth source with a directory owns: refreshes
/// profiles and group-derived roles, and for users the directory removed, disabled or dropped
/// from `required_group`, ends their sessions and closes their connections at once.
///
/// All-or-nothing: answers are gathered first, and a sync in which any question failed changes
/// nobody; nor does one in which every account came back gone, unless the source allows it.
struct DirectorySync: Service {
    let source: String
    let provider: any AuthProvider
    let policy: DirectorySyncPolicy
    let sessions: SessionService
    var accounts: AccountService { sessions.accounts }
    let metrics: HostMetrics
    let logger: Logger

    /// Questions in flight at once (the LDAP plugin's default pool size); the plugin's own pool bounds it further.
    static let concurrency = 4

    func run() async throws {
        while !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: policy.interval) }
            } catch is CancellationError {
                return
            }
            do {
                _ = try await syncOnce()
            } catch let error as StorageError where error.isUnsupported {
                logger.error("directory sync turned off: the storage cannot list accounts by auth source", metadata: ["auth_source": "\(source)"])
                // A service that returns would end the whole service group: wait for shutdown instead.
                try? await gracefulShutdown()
                return
            } catch {
                logger.error("directory sync failed; nobody was changed", metadata: ["auth_source": "\(source)", "error": "\(error)"])
                metrics.recordDirectorySync(source: source, outcome: "failed", removed: 0)
            }
        }
    }

    /// What one sync did.
    struct Outcome: Sendable, Equatable {
        var checked = 0
        var updated = 0
        var removed = 0
        var refused = false
    }

    /// One sync pass. Throws (having changed nobody) when any account could not be checked.
    func syncOnce() async throws -> Outcome {
        let storage = accounts.storage
        var users: [User] = []
        var after: UserID?
        while true {
            let page = try await storage.users(authSource: source, after: after, limit: 500)
            users += page.filter { !$0.isDisabled }
            guard page.count == 500, let last = page.last else { break }
            after = last.id
        }
        var answers: [(User, AccountStanding)] = []
        try await withThrowingTaskGroup(of: (User, AccountStanding?).self) { group in
            var pending = users[...]
            func next() {
                guard let user = pending.popFirst() else { return }
                group.addTask(operation: { (user, try await provider.standing(of: user.username)) })
            }
            for _ in 0..<Self.concurrency { next() }
            while let (user, standing) = try await group.next() {
                if let standing { answers.append((user, standing)) }
                next()
            }
        }
        var outcome = Outcome(checked: answers.count)
        let gone = answers.filter { $0.1 == .gone }.map(\.0)
        if !answers.isEmpty, gone.count == answers.count, !policy.allowsRemovingEveryone {
            logger.error(
                "directory sync says every account is gone; changing nobody (set allow_deactivate_all to allow it)",
                metadata: ["auth_source": "\(source)", "accounts": "\(answers.count)"])
            metrics.recordDirectorySync(source: source, outcome: "refused_all_gone", removed: 0)
            outcome.refused = true
            return outcome
        }
        for (user, standing) in answers {
            switch standing {
            case .gone:
                if try await sessions.endAccess(of: user, reason: "removed from the directory or required_group") > 0 { outcome.removed += 1 }
            case .active(let identity):
                let updated = try await accounts.apply(identity, to: user)
                try await accounts.rooms.applyDirectoryGrants(identity, to: updated)
                if updated != user { outcome.updated += 1 }
            }
        }
        metrics.recordDirectorySync(source: source, outcome: "applied", removed: outcome.removed)
        logger.info(
            "directory sync done",
            metadata: ["auth_source": "\(source)", "checked": "\(outcome.checked)", "updated": "\(outcome.updated)", "removed": "\(outcome.removed)"])
        return outcome
    }
}
