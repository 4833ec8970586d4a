import EchoPluginAPI
import Foundation
import Logging

/// Refresh-token rotation (with a re-check at the account's auth source), logout, the session
/// list, and ending a user's access everywhere.
struct SessionService: Sendable {
    let accounts: AccountService
    var storage: any Storage { accounts.storage }
    var authChain: [(name: String, provider: any AuthProvider)] { accounts.authChain }
    var tokens: TokenService { accounts.tokens }
    var metrics: HostMetrics { accounts.metrics }
    var logger: Logger { accounts.logger }
    var bus: any EventBus { accounts.bus }
    var rooms: RoomService { accounts.rooms }

    func refresh(_ refreshToken: String) async throws -> IssuedTokens {
        let invalid = EchoError.unauthenticated("invalid_refresh_token", "the refresh token is invalid or its session has ended; sign in again")
        guard (1...512).contains(refreshToken.utf8.count) else {
            metrics.recordRefresh("invalid")
            throw invalid
        }
        let now = Date()
        let replacement = TokenService.newRefreshToken()
        let rotation = try await storage.rotateRefreshToken(
            TokenService.hash(refreshToken: refreshToken), replacement: TokenService.hash(refreshToken: replacement), now: now,
            expiresAt: now.addingTimeInterval(accounts.config.refreshTTL))
        switch rotation {
        case .rotated(let session):
            guard var user = try await storage.user(id: session.userID), !user.isDisabled else {
                _ = try await storage.revokeSession(session.id, at: now)
                metrics.recordRefresh("invalid")
                throw invalid
            }
            if let updated = await recheck(user) {
                user = updated
            } else {
                // Gone from the source: every session of theirs ends, not only this one.
                try await endAccess(of: user, reason: "the auth source no longer has the user")
                metrics.recordRefresh("source_gone")
                throw invalid
            }
            metrics.recordRefresh("rotated")
            return IssuedTokens(
                accessToken: try await tokens.accessToken(for: user.id, session: session.id, now: now), refreshToken: replacement,
                expiresIn: Int(tokens.accessTokenTTL), session: session, user: user)
        case .reused(let session):
            await bus.publish(.sessionEnded(session.id))
            metrics.recordRefresh("reused")
            logger.warning("refresh token reused; session revoked", metadata: ["user_id": "\(session.userID)", "session_id": "\(session.id)"])
            throw EchoError.unauthenticated("refresh_token_reused", "this refresh token was already used; the session has been revoked for safety")
        case .inactive, .unknown:
            metrics.recordRefresh("invalid")
            throw invalid
        }
    }

    /// Asks the account's auth source whether the user is still there: the refreshed user, or
    /// `nil` when the source says they are gone. A source that cannot answer changes nothing, so
    /// a directory outage does not sign everyone out.
    ///
    /// It runs after the refresh token rotated (the old one is spent), so nothing but a clear
    /// "gone" may fail the refresh: any other error keeps the stored user and is logged.
    private func recheck(_ user: User) async -> User? {
        guard let owner = authChain.first(where: { $0.name == user.authSource })?.provider else { return user }
        do {
            switch try await owner.standing(of: user.username) {
            case nil:
                return user
            case .gone?:
                return nil
            case .active(let identity)?:
                let updated = try await accounts.apply(identity, to: user)
                try await rooms.applyDirectoryGrants(identity, to: updated)
                return updated
            }
        } catch {
            logger.warning("could not re-check the user with their auth source; refresh allowed", metadata: ["user_id": "\(user.id)", "error": "\(error)"])
            return user
        }
    }

    /// Ends every session of a user their auth source no longer vouches for, and closes their
    /// real-time connections on every instance. The account stays (its username stays theirs);
    /// signing in works again once the source lets them in.
    @discardableResult
    func endAccess(of user: User, reason: String) async throws -> Int {
        let ended = try await storage.revokeSessions(of: user.id, at: Date())
        await bus.publish(.userDisabled(user.id))
        if ended > 0 {
            logger.info(
                "sessions ended: \(reason)", metadata: ["user_id": "\(user.id)", "auth_source": "\(user.authSource)", "sessions": "\(ended)"])
        }
        return ended
    }

    func logout(_ principal: Principal) async throws {
        _ = try await storage.revokeSession(principal.session.id, at: Date())
        await bus.publish(.sessionEnded(principal.session.id))
        logger.info("logout", metadata: ["user_id": "\(principal.user.id)", "session_id": "\(principal.session.id)"])
    }

    func sessions(of principal: Principal) async throws -> [Session] {
        try await storage.activeSessions(of: principal.user.id, at: Date())
    }

    func revokeSession(_ id: SessionID, of principal: Principal) async throws {
        guard let session = try await storage.session(id: id), session.userID == principal.user.id, session.isActive(at: Date()) else {
            throw EchoError.notFound("no active session with that id", code: "session_not_found")
        }
        _ = try await storage.revokeSession(id, at: Date())
        await bus.publish(.sessionEnded(id))
        logger.info("session revoked", metadata: ["user_id": "\(principal.user.id)", "session_id": "\(id)"])
    }
}
