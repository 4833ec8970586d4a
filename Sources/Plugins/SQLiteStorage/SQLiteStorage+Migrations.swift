import EchoPluginAPI
import GRDB

extension SQLiteStorage {
    /// Versioned, additive migrations. Never edit a shipped migration; append a new one.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1_accounts") { db in
            try db.execute(
                sql: """
                    CREATE TABLE users (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        username TEXT NOT NULL UNIQUE,
                        display_name TEXT NOT NULL,
                        email TEXT,
                        auth_source TEXT NOT NULL,
                        is_admin INTEGER NOT NULL DEFAULT 0,
                        is_disabled INTEGER NOT NULL DEFAULT 0,
                        created_at INTEGER NOT NULL,
                        updated_at INTEGER NOT NULL
                    );
                    CREATE TABLE credentials (
                        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                        kind TEXT NOT NULL,
                        secret TEXT NOT NULL,
                        updated_at INTEGER NOT NULL,
                        PRIMARY KEY (user_id, kind)
                    );
                    CREATE TABLE sessions (
                        id TEXT PRIMARY KEY,
                        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                        created_at INTEGER NOT NULL,
                        last_used_at INTEGER NOT NULL,
                        expires_at INTEGER NOT NULL,
                        revoked_at INTEGER,
                        user_agent TEXT,
                        client_address TEXT
                    );
                    CREATE INDEX sessions_by_user ON sessions(user_id);
                    CREATE TABLE refresh_tokens (
                        token_hash TEXT PRIMARY KEY,
                        session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
                        issued_at INTEGER NOT NULL,
                        used_at INTEGER
                    );
                    CREATE INDEX refresh_tokens_by_session ON refresh_tokens(session_id);
                    """
            )
        }
        return migrator
    }

    /// Refuses a database a newer release migrated, then applies pending migrations.
    static func migrate(_ pool: DatabasePool) async throws {
        let migrator = Self.migrator
        do {
            let superseded = try await pool.read { db in try migrator.hasBeenSuperseded(db) }
            if superseded {
                let applied = try await pool.read { db in try migrator.appliedIdentifiers(db) }
                let unknown = applied.subtracting(migrator.migrations).sorted()
                throw StorageError.incompatibleSchema(
                    "the SQLite database was migrated by a newer EchoChat (migrations \(unknown.joined(separator: ", ")) are unknown to this release); upgrade EchoChat or restore a backup"
                )
            }
            try migrator.migrate(pool)
        } catch let error as DatabaseError {
            throw StorageError.unavailable("migrating the SQLite database failed: \(describe(error))")
        }
    }
}
