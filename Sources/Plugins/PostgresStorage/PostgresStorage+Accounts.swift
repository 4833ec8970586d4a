public import EchoPluginAPI
public import Foundation
import PostgresNIO

extension PostgresStorage {
    public func user(id: UserID) async throws -> User? {
        try await row("SELECT * FROM users WHERE id = \(id.rawValue)").map(User.init(row:))
    }

    public func users(ids: Set<UserID>) async throws -> [User] {
        guard !ids.isEmpty else { return [] }
        return try await rows("SELECT * FROM users WHERE id = ANY(\(ids.map(\.rawValue)))").map(User.init(row:))
    }

    public func users(authSource: String, after: UserID?, limit: Int) async throws -> [User] {
        let start = after?.rawValue ?? 0
        let count = max(0, limit)
        return try await rows("SELECT * FROM users WHERE auth_source = \(authSource) AND id > \(start) ORDER BY id LIMIT \(count)").map(User.init(row:))
    }

    public func user(named username: String) async throws -> User? {
        try await row("SELECT * FROM users WHERE username = \(username)").map(User.init(row:))
    }

    public func createUser(_ user: NewUser, credential: Credential?) async throws -> User {
        try await transaction { db in
            let now = user.createdAt.storageMilliseconds
            guard
                let row = try await db.row(
                    """
                    INSERT INTO users (username, display_name, email, auth_source, is_admin, is_disabled, created_at, updated_at)
                    VALUES (\(user.username), \(user.displayName), \(user.email), \(user.authSource), \(user.isAdmin), FALSE, \(now), \(now))
                    RETURNING *
                    """)
            else { throw StorageError.invalidData("the new user was not returned") }
            let created = try User(row: row)
            if let credential { try await Self.upsert(credential, of: created.id, db) }
            return created
        }
    }

    public func updateUser(_ id: UserID, _ update: UserUpdate) async throws -> User {
        let email: String?? = update.email
        guard
            let row = try await row(
                """
                UPDATE users SET
                    name_skeleton_version = CASE WHEN COALESCE(\(update.displayName), display_name) = display_name THEN name_skeleton_version END,
                    display_name = COALESCE(\(update.displayName), display_name),
                    email = CASE WHEN \(email != nil) THEN \(email ?? nil) ELSE email END,
                    is_admin = COALESCE(\(update.isAdmin), is_admin),
                    is_disabled = COALESCE(\(update.isDisabled), is_disabled),
                    updated_at = \(Date().storageMilliseconds)
                WHERE id = \(id.rawValue) RETURNING *
                """)
        else { throw StorageError.notFound("no user with id \(id)") }
        return try User(row: row)
    }

    public func credential(of userID: UserID, kind: String) async throws -> Credential? {
        try await row("SELECT kind, secret, updated_at FROM credentials WHERE user_id = \(userID.rawValue) AND kind = \(kind)").map {
            Credential(kind: try $0.value("kind"), secret: try $0.value("secret"), updatedAt: try $0.date("updated_at"))
        }
    }

    public func setCredential(_ credential: Credential, of userID: UserID) async throws {
        try await transaction { db in try await Self.upsert(credential, of: userID, db) }
    }

    static func upsert(_ credential: Credential, of userID: UserID, _ db: Transaction) async throws {
        try await db.run(
            """
            INSERT INTO credentials (user_id, kind, secret, updated_at)
            VALUES (\(userID.rawValue), \(credential.kind), \(credential.secret), \(credential.updatedAt.storageMilliseconds))
            ON CONFLICT (user_id, kind) DO UPDATE SET secret = excluded.secret, updated_at = excluded.updated_at
            """)
    }
}

// MARK: - Sessions

extension PostgresStorage {
    public func createSession(_ session: Session, refreshToken: RefreshTokenHash) async throws {
        try await transaction { db in
            try await db.run(
                """
                INSERT INTO sessions (id, user_id, created_at, last_used_at, expires_at, revoked_at, user_agent, client_address)
                VALUES (\(session.id.rawValue), \(session.userID.rawValue), \(session.createdAt.storageMilliseconds),
                    \(session.lastUsedAt.storageMilliseconds), \(session.expiresAt.storageMilliseconds), NULL,
                    \(session.userAgent), \(session.clientAddress))
                """)
            try await db.run(
                """
                INSERT INTO refresh_tokens (token_hash, session_id, issued_at, used_at)
                VALUES (\(refreshToken.rawValue), \(session.id.rawValue), \(session.createdAt.storageMilliseconds), NULL)
                """)
        }
    }

    public func session(id: SessionID) async throws -> Session? {
        try await row("SELECT * FROM sessions WHERE id = \(id.rawValue)").map(Session.init(row:))
    }

    public func sessionWithUser(id: SessionID) async throws -> SessionWithUser? {
        try await row(
            """
            SELECT s.*, \(unescaped: Self.userColumns) FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = \(id.rawValue)
            """
        ).map { try SessionWithUser(session: Session(row: $0), user: User(row: $0, prefix: "u_")) }
    }

    /// The users table's columns prefixed `u_`, for joins.
    static let userColumns =
        "u.id AS u_id, u.username AS u_username, u.display_name AS u_display_name, u.email AS u_email, u.auth_source AS u_auth_source, u.is_admin AS u_is_admin, u.is_disabled AS u_is_disabled, u.created_at AS u_created_at, u.updated_at AS u_updated_at"

    public func activeSessions(of userID: UserID, at now: Date) async throws -> [Session] {
        try await rows(
            """
            SELECT * FROM sessions WHERE user_id = \(userID.rawValue) AND revoked_at IS NULL AND expires_at > \(now.storageMilliseconds)
            ORDER BY created_at DESC, id
            """
        ).map(Session.init(row:))
    }

    public func rotateRefreshToken(
        _ presented: RefreshTokenHash, replacement: RefreshTokenHash, now: Date, expiresAt: Date
    ) async throws -> RefreshRotation {
        try await transaction { db in
            // The token's row lock orders concurrent refreshes with one token, on every instance:
            // the second sees the first's used_at and is treated as a replay.
            guard
                let row = try await db.row(
                    """
                    SELECT s.*, t.used_at AS token_used_at FROM refresh_tokens t
                    JOIN sessions s ON s.id = t.session_id WHERE t.token_hash = \(presented.rawValue)
                    FOR UPDATE OF t, s
                    """)
            else { return .unknown }
            var session = try Session(row: row)
            let nowMilliseconds = now.storageMilliseconds
            if try row.value("token_used_at", as: Int64?.self) != nil {
                if session.revokedAt == nil {
                    try await db.run("UPDATE sessions SET revoked_at = \(nowMilliseconds) WHERE id = \(session.id.rawValue)")
                    session.revokedAt = Date(storageMilliseconds: nowMilliseconds)
                }
                return .reused(session)
            }
            guard session.isActive(at: now) else { return .inactive(session) }
            try await db.run("UPDATE refresh_tokens SET used_at = \(nowMilliseconds) WHERE token_hash = \(presented.rawValue)")
            try await db.run(
                """
                INSERT INTO refresh_tokens (token_hash, session_id, issued_at, used_at)
                VALUES (\(replacement.rawValue), \(session.id.rawValue), \(nowMilliseconds), NULL)
                """)
            try await db.run(
                """
                UPDATE sessions SET last_used_at = \(nowMilliseconds), expires_at = \(expiresAt.storageMilliseconds)
                WHERE id = \(session.id.rawValue)
                """)
            session.lastUsedAt = Date(storageMilliseconds: nowMilliseconds)
            session.expiresAt = Date(storageMilliseconds: expiresAt.storageMilliseconds)
            return .rotated(session)
        }
    }

    public func revokeSession(_ id: SessionID, at now: Date) async throws -> Bool {
        let now = now.storageMilliseconds
        return try await !rows(
            """
            UPDATE sessions SET revoked_at = \(now) WHERE id = \(id.rawValue) AND revoked_at IS NULL AND expires_at > \(now)
            RETURNING id
            """
        ).isEmpty
    }

    public func revokeSessions(of userID: UserID, at now: Date) async throws -> Int {
        let now = now.storageMilliseconds
        return try await rows(
            """
            UPDATE sessions SET revoked_at = \(now) WHERE user_id = \(userID.rawValue) AND revoked_at IS NULL AND expires_at > \(now)
            RETURNING id
            """
        ).count
    }

    public func pruneSessions(endedBefore: Date, usedTokensBefore usedBefore: Date) async throws -> Int {
        try await transaction { db in
            let cutoff = endedBefore.storageMilliseconds
            // Refresh tokens go with their sessions (ON DELETE CASCADE).
            let deleted = try await db.rows("DELETE FROM sessions WHERE expires_at < \(cutoff) OR revoked_at < \(cutoff) RETURNING id").count
            try await db.run("DELETE FROM refresh_tokens WHERE used_at IS NOT NULL AND used_at < \(usedBefore.storageMilliseconds)")
            return deleted
        }
    }
}

extension User {
    init(row: PostgresRandomAccessRow) throws { try self.init(row: row, prefix: "") }

    init(row: PostgresRandomAccessRow, prefix: String) throws {
        self.init(
            id: UserID(try row.value(prefix + "id", as: Int64.self)), username: try row.value(prefix + "username"),
            displayName: try row.value(prefix + "display_name"), email: try row.value(prefix + "email"),
            authSource: try row.value(prefix + "auth_source"), isAdmin: try row.value(prefix + "is_admin"),
            isDisabled: try row.value(prefix + "is_disabled"), createdAt: try row.date(prefix + "created_at"),
            updatedAt: try row.date(prefix + "updated_at"))
    }
}

extension Session {
    init(row: PostgresRandomAccessRow) throws {
        self.init(
            id: SessionID(try row.value("id", as: String.self)), userID: UserID(try row.value("user_id", as: Int64.self)),
            createdAt: try row.date("created_at"), lastUsedAt: try row.date("last_used_at"), expiresAt: try row.date("expires_at"),
            revokedAt: try row.optionalDate("revoked_at"), userAgent: try row.value("user_agent"),
            clientAddress: try row.value("client_address"))
    }
}
