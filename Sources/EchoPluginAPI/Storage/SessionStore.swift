public import Foundation

/// Login sessions and their rotating refresh tokens.
///
/// Each session has exactly one current refresh token. Rotation must be atomic: of two concurrent
/// refreshes with the same token, exactly one rotates and the other sees a reuse.
public protocol SessionStore: Sendable {
    /// Stores a new session with its first refresh token.
    func createSession(_ session: Session, refreshToken: RefreshTokenHash) async throws

    /// The session with this identifier, active or not, or `nil`.
    func session(id: SessionID) async throws -> Session?

    /// The user's sessions that are active at `now`, newest first.
    func activeSessions(of userID: UserID, at now: Date) async throws -> [Session]

    /// Presents a refresh token, in one transaction:
    /// - current token of an active session → mark it used, make `replacement` current, set the
    ///   session's `lastUsedAt` to `now` and `expiresAt` to `expiresAt`: ``RefreshRotation/rotated(_:)``;
    /// - already used token → revoke its session at `now`: ``RefreshRotation/reused(_:)``;
    /// - token of a revoked or expired session → ``RefreshRotation/inactive(_:)``;
    /// - otherwise ``RefreshRotation/unknown``.
    func rotateRefreshToken(
        _ presented: RefreshTokenHash, replacement: RefreshTokenHash, now: Date, expiresAt: Date
    ) async throws -> RefreshRotation

    /// Revokes one session; returns whether it was active.
    func revokeSession(_ id: SessionID, at now: Date) async throws -> Bool

    /// Revokes every active session of a user; returns how many.
    func revokeSessions(of userID: UserID, at now: Date) async throws -> Int

    /// Deletes sessions, with their refresh tokens, that expired or were revoked before
    /// `endedBefore`, and used refresh tokens of live sessions used before `usedBefore`; returns
    /// how many sessions went. The host calls it periodically so storage stays bounded.
    func pruneSessions(endedBefore: Date, usedTokensBefore usedBefore: Date) async throws -> Int
}
