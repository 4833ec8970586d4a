public import EchoPluginAPI
import Foundation
import GRDB

extension SQLiteStorage {
    public func user(id: UserID) async throws -> User? {
        try await read { db in
            try db.row("SELECT * FROM users WHERE id = ?", [id.rawValue]).map(User.init(row:))
        }
    }

    public func users(ids: Set<UserID>) async throws -> [User] {
        guard !ids.isEmpty else { return [] }
        return try await read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM users WHERE id IN (\(databaseQuestionMarks(count: ids.count)))",
                arguments: StatementArguments(ids.map(\.rawValue))
            ).map(User.init(row:))
        }
    }

    public func users(authSource: String, after: UserID?, limit: Int) async throws -> [User] {
        try await read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM users WHERE auth_source = ? AND id > ? ORDER BY id LIMIT ?",
                arguments: [authSource, after?.rawValue ?? 0, max(0, limit)]
            ).map(User.init(row:))
        }
    }

    public func user(named username: String) async throws -> User? {
        try await read { db in
            try db.row("SELECT * FROM users WHERE username = ?", [username]).map(User.init(row:))
        }
    }

    public func createUser(_ user: NewUser, credential: Credential?) async throws -> User {
        try await perform { db in
            let now = user.createdAt.storageMilliseconds
            try db.run(
                """
                INSERT INTO users (username, display_name, email, auth_source, is_admin, is_disabled, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, 0, ?, ?)
                """, [user.username, user.displayName, user.email, user.authSource, user.isAdmin, now, now]
            )
            let id = db.lastInsertedRowID
            if let credential {
                try Self.upsert(credential, of: id, in: db)
            }
            return User(
                id: UserID(id), username: user.username, displayName: user.displayName, email: user.email,
                authSource: user.authSource, isAdmin: user.isAdmin, isDisabled: false,
                createdAt: Date(storageMilliseconds: now), updatedAt: Date(storageMilliseconds: now)
            )
        }
    }

    public func updateUser(_ id: UserID, _ update: UserUpdate) async throws -> User {
        try await perform { db in
            var assignments: [String] = []
            var arguments: StatementArguments = []
            if let displayName = update.displayName {
                // A new name needs new look-alike keys (NameSkeletonLookup).
                assignments.append("name_skeleton_version = CASE WHEN display_name = ? THEN name_skeleton_version END")
                assignments.append("display_name = ?")
                _ = arguments.append(contentsOf: [displayName, displayName])
            }
            if let email = update.email {
                assignments.append("email = ?")
                _ = arguments.append(contentsOf: [email])
            }
            if let isAdmin = update.isAdmin {
                assignments.append("is_admin = ?")
                _ = arguments.append(contentsOf: [isAdmin])
            }
            if let isDisabled = update.isDisabled {
                assignments.append("is_disabled = ?")
                _ = arguments.append(contentsOf: [isDisabled])
            }
            assignments.append("updated_at = ?")
            _ = arguments.append(contentsOf: [Date().storageMilliseconds, id.rawValue])
            try db.execute(sql: "UPDATE users SET \(assignments.joined(separator: ", ")) WHERE id = ?", arguments: arguments)
            guard let row = try db.row("SELECT * FROM users WHERE id = ?", [id.rawValue]) else {
                throw StorageError.notFound("no user with id \(id)")
            }
            return User(row: row)
        }
    }

    public func credential(of userID: UserID, kind: String) async throws -> Credential? {
        try await read { db in
            try db.row(
                "SELECT kind, secret, updated_at FROM credentials WHERE user_id = ? AND kind = ?", [userID.rawValue, kind]
            ).map { Credential(kind: $0["kind"], secret: $0["secret"], updatedAt: Date(storageMilliseconds: $0["updated_at"])) }
        }
    }

    public func setCredential(_ credential: Credential, of userID: UserID) async throws {
        try await perform { db in try Self.upsert(credential, of: userID.rawValue, in: db) }
    }

    static func upsert(_ credential: Credential, of userID: Int64, in db: Database) throws {
        try db.run(
            """
            INSERT INTO credentials (user_id, kind, secret, updated_at) VALUES (?, ?, ?, ?)
            ON CONFLICT (user_id, kind) DO UPDATE SET secret = excluded.secret, updated_at = excluded.updated_at
            """, [userID, credential.kind, credential.secret, credential.updatedAt.storageMilliseconds]
        )
    }
}

extension User {
    init(row: Row) {
        self.init(
            id: UserID(row["id"] as Int64), username: row["username"], displayName: row["display_name"],
            email: row["email"], authSource: row["auth_source"], isAdmin: row["is_admin"], isDisabled: row["is_disabled"],
            createdAt: Date(storageMilliseconds: row["created_at"]), updatedAt: Date(storageMilliseconds: row["updated_at"])
        )
    }
}
