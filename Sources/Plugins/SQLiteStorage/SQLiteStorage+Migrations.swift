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
        migrator.registerMigration("v2_rooms") { db in
            try db.execute(
                sql: """
                    CREATE TABLE rooms (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        name TEXT NOT NULL,
                        name_key TEXT NOT NULL UNIQUE,
                        topic TEXT NOT NULL DEFAULT '',
                        visibility TEXT NOT NULL,
                        is_readonly INTEGER NOT NULL DEFAULT 0,
                        slowmode_seconds INTEGER NOT NULL DEFAULT 0,
                        voice_enabled INTEGER NOT NULL DEFAULT 1,
                        voice_allow_video INTEGER NOT NULL DEFAULT 1,
                        voice_allow_screen_share INTEGER NOT NULL DEFAULT 1,
                        created_at INTEGER NOT NULL
                    );
                    CREATE TABLE memberships (
                        room_id INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
                        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                        role TEXT NOT NULL,
                        joined_at INTEGER NOT NULL,
                        PRIMARY KEY (room_id, user_id)
                    );
                    CREATE INDEX memberships_by_user ON memberships(user_id);
                    CREATE TABLE invites (
                        room_id INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
                        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                        invited_by INTEGER NOT NULL,
                        created_at INTEGER NOT NULL,
                        PRIMARY KEY (room_id, user_id)
                    );
                    CREATE TABLE bans (
                        room_id INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
                        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                        banned_by INTEGER NOT NULL,
                        reason TEXT,
                        created_at INTEGER NOT NULL,
                        PRIMARY KEY (room_id, user_id)
                    );
                    CREATE TABLE messages (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        room_id INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
                        author_id INTEGER NOT NULL REFERENCES users(id),
                        body TEXT NOT NULL,
                        client_id TEXT,
                        created_at INTEGER NOT NULL,
                        edited_at INTEGER,
                        deleted_at INTEGER
                    );
                    CREATE INDEX messages_by_room ON messages(room_id, id);
                    CREATE INDEX messages_by_author ON messages(room_id, author_id, created_at);
                    CREATE UNIQUE INDEX messages_by_client_id ON messages(room_id, author_id, client_id) WHERE client_id IS NOT NULL;
                    CREATE TABLE audit_log (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        room_id INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
                        actor_id INTEGER NOT NULL,
                        action TEXT NOT NULL,
                        target_id INTEGER,
                        detail TEXT,
                        created_at INTEGER NOT NULL
                    );
                    CREATE INDEX audit_log_by_room ON audit_log(room_id, id);
                    """
            )
        }
        migrator.registerMigration("v3_voice") { db in
            try db.execute(
                sql: """
                    CREATE TABLE voice_seats (
                        room_id INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
                        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                        subroom INTEGER NOT NULL,
                        identity TEXT NOT NULL,
                        state TEXT NOT NULL,
                        participant_sid TEXT,
                        publishing TEXT NOT NULL DEFAULT '',
                        listen_only INTEGER NOT NULL DEFAULT 0,
                        reserved_at INTEGER NOT NULL,
                        expires_at INTEGER,
                        joined_at INTEGER,
                        updated_at INTEGER NOT NULL,
                        PRIMARY KEY (room_id, user_id)
                    );
                    CREATE TABLE voice_departures (
                        room_id INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
                        participant_sid TEXT NOT NULL,
                        departed_at INTEGER NOT NULL,
                        PRIMARY KEY (room_id, participant_sid)
                    );
                    CREATE INDEX voice_departures_by_time ON voice_departures(departed_at);
                    CREATE INDEX voice_seats_by_identity ON voice_seats(room_id, identity);
                    CREATE INDEX voice_seats_reserved ON voice_seats(room_id, expires_at) WHERE state = 'reserved';
                    CREATE TABLE webhook_events (
                        id TEXT PRIMARY KEY,
                        received_at INTEGER NOT NULL
                    );
                    CREATE INDEX webhook_events_by_time ON webhook_events(received_at);
                    CREATE TABLE voice_restrictions (
                        room_id INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
                        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                        kind TEXT NOT NULL,
                        until INTEGER NOT NULL,
                        PRIMARY KEY (room_id, user_id, kind)
                    );
                    """
            )
        }
        // The look-alike keys of account names (NameSkeletonLookup). The host fills them in:
        // every existing account starts without a version and is indexed at the next start.
        migrator.registerMigration("v4_name_skeletons") { db in
            try db.execute(
                sql: """
                    ALTER TABLE users ADD COLUMN name_skeleton_version TEXT;
                    CREATE TABLE user_name_skeletons (
                        skeleton TEXT NOT NULL,
                        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                        PRIMARY KEY (skeleton, user_id)
                    ) WITHOUT ROWID;
                    CREATE INDEX user_name_skeletons_by_user ON user_name_skeletons(user_id);
                    """
            )
        }
        migrator.registerMigration("v5_health_probe") { db in
            try db.execute(sql: "CREATE TABLE health_probe (id INTEGER PRIMARY KEY CHECK (id = 1), written_at INTEGER NOT NULL)")
        }
        migrator.registerMigration("v6_server_audit") { db in
            try db.execute(
                sql: """
                    CREATE TABLE server_audit (
                        id INTEGER PRIMARY KEY AUTOINCREMENT, actor TEXT NOT NULL, action TEXT NOT NULL, details TEXT NOT NULL,
                        created_at INTEGER NOT NULL)
                    """)
        }
        // The voice channel's queue (served in `seq` order) and voice bans (VoiceChannelStore).
        migrator.registerMigration("v7_voice_channels") { db in
            try db.execute(
                sql: """
                    CREATE TABLE voice_queue (
                        room_id INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
                        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                        identity TEXT NOT NULL,
                        listen_only INTEGER NOT NULL,
                        seq INTEGER NOT NULL,
                        enqueued_at INTEGER NOT NULL,
                        PRIMARY KEY (room_id, user_id)
                    );
                    CREATE INDEX voice_queue_in_order ON voice_queue(room_id, seq);
                    CREATE INDEX voice_queue_by_user ON voice_queue(user_id);
                    CREATE TABLE voice_bans (
                        room_id INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
                        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                        reason TEXT,
                        banned_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
                        created_at INTEGER NOT NULL,
                        expires_at INTEGER,
                        PRIMARY KEY (room_id, user_id)
                    );
                    """)
        }
        // Emoji reactions on messages (ReactionStore).
        migrator.registerMigration("v8_reactions") { db in
            try db.execute(
                sql: """
                    CREATE TABLE reactions (
                        message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
                        emoji TEXT NOT NULL,
                        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                        created_at INTEGER NOT NULL,
                        PRIMARY KEY (message_id, emoji, user_id)
                    ) WITHOUT ROWID;
                    CREATE INDEX reactions_by_user ON reactions(user_id);
                    """)
        }
        // Replies and each parent's reply count (ThreadStore).
        migrator.registerMigration("v9_threads") { db in
            try db.execute(
                sql: """
                    CREATE TABLE message_replies (
                        message_id INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
                        reply_to INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE
                    );
                    CREATE INDEX message_replies_by_parent ON message_replies(reply_to, message_id);
                    CREATE TABLE message_threads (
                        message_id INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
                        reply_count INTEGER NOT NULL,
                        last_reply_at INTEGER
                    );
                    """)
        }
        // Direct conversations beyond their room rows, blocks, and direct-message policies (DirectMessageStore).
        migrator.registerMigration("v10_direct_messages") { db in
            try db.execute(
                sql: """
                    CREATE TABLE direct_conversations (
                        room_id INTEGER PRIMARY KEY REFERENCES rooms(id) ON DELETE CASCADE,
                        name TEXT,
                        pair_key TEXT UNIQUE
                    );
                    CREATE TABLE user_blocks (
                        blocker_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                        blocked_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                        created_at INTEGER NOT NULL,
                        PRIMARY KEY (blocker_id, blocked_id)
                    ) WITHOUT ROWID;
                    CREATE INDEX user_blocks_by_blocked ON user_blocks(blocked_id, blocker_id);
                    CREATE TABLE dm_policies (
                        user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
                        policy TEXT NOT NULL
                    );
                    """)
        }
        // Per-room message ordinals, read markers and mentions (UnreadStore). Members start with
        // everything already posted read.
        migrator.registerMigration("v11_unread") { db in
            try db.execute(sql: "ALTER TABLE messages ADD COLUMN seq INTEGER")
            try db.execute(sql: SQLiteStorage.numberMessages)
            try db.execute(
                sql: """
                    CREATE UNIQUE INDEX messages_by_seq ON messages(room_id, seq);
                    CREATE INDEX messages_deleted ON messages(room_id, id) WHERE deleted_at IS NOT NULL;
                    CREATE TABLE read_markers (
                        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                        room_id INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
                        message_id INTEGER NOT NULL,
                        updated_at INTEGER NOT NULL,
                        PRIMARY KEY (user_id, room_id)
                    ) WITHOUT ROWID;
                    INSERT INTO read_markers (user_id, room_id, message_id, updated_at)
                    SELECT mb.user_id, mb.room_id, last.id, last.created_at FROM memberships mb
                    JOIN (SELECT room_id, max(id) AS id, max(created_at) AS created_at FROM messages GROUP BY room_id) last ON last.room_id = mb.room_id;
                    CREATE TABLE message_mentions (
                        message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
                        user_id INTEGER NOT NULL,
                        room_id INTEGER NOT NULL,
                        PRIMARY KEY (message_id, user_id)
                    ) WITHOUT ROWID;
                    CREATE INDEX message_mentions_by_user ON message_mentions(room_id, user_id, message_id);
                    """)
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

extension SQLiteStorage: StorageSchemaReporting {
    public func schemaVersion() async throws -> String {
        let migrator = Self.migrator
        let applied = try await read { db in try migrator.appliedIdentifiers(db) }
        return migrator.migrations.last { applied.contains($0) } ?? "none"
    }
}
