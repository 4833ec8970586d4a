public import EchoPluginAPI
public import Foundation
import GRDB

extension SQLiteStorage {
    public func createSession(_ session: Session, refreshToken: RefreshTokenHash) async throws {
        try await perform { db in
            try db.run(
                """
                INSERT INTO sessions (id, user_id, created_at, last_used_at, expires_at, revoked_at, user_agent, client_address)
                VALUES (?, ?, ?, ?, ?, NULL, ?, ?)
                """,
                [
                    session.id.rawValue, session.userID.rawValue, session.createdAt.storageMilliseconds,
                    session.lastUsedAt.storageMilliseconds, session.expiresAt.storageMilliseconds,
                    session.userAgent, session.clientAddress,
                ]
            )
            try db.run(
                "INSERT INTO refresh_tokens (token_hash, session_id, issued_at, used_at) VALUES (?, ?, ?, NULL)",
                [refreshToken.rawValue, session.id.rawValue, session.createdAt.storageMilliseconds]
            )
        }
    }

    public func session(id: SessionID) async throws -> Session? {
        try await read { db in
            try db.row("SELECT * FROM sessions WHERE id = ?", [id.rawValue]).map(Session.init(row:))
        }
    }

    public func sessionWithUser(id: SessionID) async throws -> SessionWithUser? {
        try await read { db in try Self.fetchSessionWithUser(id, db) }
    }

    static func fetchSessionWithUser(_ id: SessionID, _ db: Database) throws -> SessionWithUser? {
        guard let session = try db.row("SELECT * FROM sessions WHERE id = ?", [id.rawValue]).map(Session.init(row:)),
            let user = try db.row("SELECT * FROM users WHERE id = ?", [session.userID.rawValue]).map(User.init(row:))
        else { return nil }
        return SessionWithUser(session: session, user: user)
    }

    public func activeSessions(of userID: UserID, at now: Date) async throws -> [Session] {
        try await read { db in
            try db.rows(
                """
                SELECT * FROM sessions WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ?
                ORDER BY created_at DESC, id
                """, [userID.rawValue, now.storageMilliseconds]
            ).map(Session.init(row:))
        }
    }

    public func rotateRefreshToken(
        _ presented: RefreshTokenHash, replacement: RefreshTokenHash, now: Date, expiresAt: Date
    ) async throws -> RefreshRotation {
        try await perform { db in
            guard
                let row = try db.row(
                    """
                    SELECT s.*, t.used_at AS token_used_at FROM refresh_tokens t
                    JOIN sessions s ON s.id = t.session_id WHERE t.token_hash = ?
                    """, [presented.rawValue]
                )
            else { return .unknown }
            var session = Session(row: row)
            let nowMilliseconds = now.storageMilliseconds
            if (row["token_used_at"] as Int64?) != nil {
                if session.revokedAt == nil {
                    try db.run("UPDATE sessions SET revoked_at = ? WHERE id = ?", [nowMilliseconds, session.id.rawValue])
                    session.revokedAt = Date(storageMilliseconds: nowMilliseconds)
                }
                return .reused(session)
            }
            guard session.isActive(at: now) else { return .inactive(session) }
            try db.run("UPDATE refresh_tokens SET used_at = ? WHERE token_hash = ?", [nowMilliseconds, presented.rawValue])
            try db.run(
                "INSERT INTO refresh_tokens (token_hash, session_id, issued_at, used_at) VALUES (?, ?, ?, NULL)",
                [replacement.rawValue, session.id.rawValue, nowMilliseconds])
            try db.run(
                "UPDATE sessions SET last_used_at = ?, expires_at = ? WHERE id = ?",
                [nowMilliseconds, expiresAt.storageMilliseconds, session.id.rawValue])
            session.lastUsedAt = Date(storageMilliseconds: nowMilliseconds)
            session.expiresAt = Date(storageMilliseconds: expiresAt.storageMilliseconds)
            return .rotated(session)
        }
    }

    public func revokeSession(_ id: SessionID, at now: Date) async throws -> Bool {
        try await perform { db in
            try db.run(
                "UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL AND expires_at > ?",
                [now.storageMilliseconds, id.rawValue, now.storageMilliseconds])
            return db.changesCount > 0
        }
    }

    public func revokeSessions(of userID: UserID, at now: Date) async throws -> Int {
        try await perform { db in
            try db.run(
                "UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ?",
                [now.storageMilliseconds, userID.rawValue, now.storageMilliseconds])
            return db.changesCount
        }
    }
}

extension SQLiteStorage {
    public func pruneSessions(endedBefore: Date, usedTokensBefore usedBefore: Date) async throws -> Int {
        try await perform { db in
            let cutoff = endedBefore.storageMilliseconds
            try db.run(
                "DELETE FROM refresh_tokens WHERE session_id IN (SELECT id FROM sessions WHERE expires_at < ? OR revoked_at < ?)",
                [cutoff, cutoff])
            try db.run("DELETE FROM sessions WHERE expires_at < ? OR revoked_at < ?", [cutoff, cutoff])
            let deleted = db.changesCount
            try db.run("DELETE FROM refresh_tokens WHERE used_at IS NOT NULL AND used_at < ?", [usedBefore.storageMilliseconds])
            return deleted
        }
    }
}

extension Session {
    init(row: Row) {
        self.init(
            id: SessionID(row["id"] as String), userID: UserID(row["user_id"] as Int64),
            createdAt: Date(storageMilliseconds: row["created_at"]), lastUsedAt: Date(storageMilliseconds: row["last_used_at"]),
            expiresAt: Date(storageMilliseconds: row["expires_at"]),
            revokedAt: (row["revoked_at"] as Int64?).map(Date.init(storageMilliseconds:)),
            userAgent: row["user_agent"], clientAddress: row["client_address"]
        )
    }
}
