public import EchoPluginAPI
public import Foundation
import NIOCore
import PostgresNIO

extension PostgresStorage {
    public func appendMessages(_ messages: [NewMessage]) async throws -> [AppendedMessage] {
        guard !messages.isEmpty else { return [] }
        // A batch is one transaction whose INSERTs are queued on the connection at once: its
        // event loop sends each as soon as the previous one is answered, with no task wake-up
        // in between, and the batch costs one commit.
        // ON CONFLICT waits for a concurrent insert of the same client_id (on any instance) and
        // then inserts nothing; those messages are read back afterwards, in the same transaction.
        return try await withDeadline { [client, logger] in
            try await client.withConnection { connection in
                // Each message takes the next ordinal of its room from room_sequences, whose rows
                // the batch locks first (in room order, so batches cannot deadlock): ids are then
                // drawn under the lock, and id order is ordinal order within a room on every
                // instance. A retry (client_id taken) takes no ordinal. The author's read marker
                // moves to the message, and its mentions are kept, in the same statement.
                let rooms = Array(Set(messages.map(\.roomID.rawValue))).sorted()
                let prelude: [PostgresQuery] = [
                    "BEGIN",
                    """
                    INSERT INTO room_sequences (room_id, last_seq)
                    SELECT r, COALESCE((SELECT max(seq) FROM messages WHERE room_id = r), 0) FROM unnest(\(rooms)::bigint[]) AS r
                    WHERE NOT EXISTS (SELECT 1 FROM room_sequences WHERE room_id = r)
                    ON CONFLICT (room_id) DO NOTHING
                    """,
                    // The rooms rows first, as a room's deletion takes them before it cascades into
                    // room_sequences: the two can then never wait on each other in a cycle.
                    "SELECT id FROM rooms WHERE id = ANY(\(rooms)) ORDER BY id FOR KEY SHARE",
                    "SELECT room_id FROM room_sequences WHERE room_id = ANY(\(rooms)) ORDER BY room_id FOR UPDATE",
                ]
                let inserts: [PostgresQuery] = messages.map { message in
                    let mentioned = message.mentions.users.map(\.rawValue) + (message.mentions.room ? [0] : [])
                    return """
                        WITH inserted AS (
                            INSERT INTO messages (room_id, author_id, body, client_id, created_at, seq)
                            SELECT \(message.roomID.rawValue), \(message.authorID.rawValue), \(message.body), \(message.clientID),
                                \(message.createdAt.storageMilliseconds), last_seq + 1
                            FROM room_sequences WHERE room_id = \(message.roomID.rawValue)
                            ON CONFLICT (room_id, author_id, client_id) WHERE client_id IS NOT NULL DO NOTHING
                            RETURNING *
                        ), bumped AS (
                            UPDATE room_sequences SET last_seq = inserted.seq FROM inserted WHERE room_sequences.room_id = inserted.room_id
                        ), marked AS (
                            INSERT INTO read_markers (user_id, room_id, message_id, updated_at)
                            SELECT author_id, room_id, id, created_at FROM inserted
                            ON CONFLICT (user_id, room_id) DO UPDATE SET message_id = excluded.message_id, updated_at = excluded.updated_at
                            WHERE excluded.message_id > read_markers.message_id
                        ), mentioned AS (
                            INSERT INTO message_mentions (message_id, user_id, room_id)
                            SELECT inserted.id, u, inserted.room_id FROM inserted, unnest(\(mentioned)::bigint[]) AS u ON CONFLICT DO NOTHING
                        ), replied AS (
                            INSERT INTO message_replies (message_id, reply_to) SELECT id, \(message.replyTo?.rawValue)::bigint FROM inserted
                            WHERE \(message.replyTo?.rawValue)::bigint IS NOT NULL
                        ), counted AS (
                            -- A reply is counted on its parent only when it was inserted (not a retry).
                            INSERT INTO message_threads (message_id, reply_count, last_reply_at)
                            SELECT \(message.replyTo?.rawValue)::bigint, 1, created_at FROM inserted WHERE \(message.replyTo?.rawValue)::bigint IS NOT NULL
                            ON CONFLICT (message_id) DO UPDATE SET reply_count = message_threads.reply_count + 1,
                                last_reply_at = GREATEST(COALESCE(message_threads.last_reply_at, 0), excluded.last_reply_at)
                        )
                        SELECT * FROM inserted
                        """
                }
                do {
                    let sent = (prelude + inserts).map { query -> EventLoopFuture<PostgresQueryResult> in connection.query(query, logger: logger) }
                    let results = try await EventLoopFuture.whenAllSucceed(sent, on: connection.eventLoop).get().dropFirst(prelude.count)
                    var appended: [AppendedMessage] = []
                    appended.reserveCapacity(messages.count)
                    for (message, result) in zip(messages, results) {
                        if let inserted = result.rows.first {
                            appended.append(AppendedMessage(message: try Message(row: inserted.makeRandomAccess()), isDuplicate: false))
                            continue
                        }
                        let existing = try await connection.query(
                            """
                            SELECT * FROM messages WHERE room_id = \(message.roomID.rawValue) AND author_id = \(message.authorID.rawValue)
                                AND client_id = \(message.clientID)
                            """, logger: logger
                        ).collect().first
                        guard let existing else { throw StorageError.conflict("message \(message.clientID ?? "") was neither inserted nor found") }
                        appended.append(AppendedMessage(message: try Message(row: existing.makeRandomAccess()), isDuplicate: true))
                    }
                    _ = try await connection.query("COMMIT", logger: logger).collect()
                    return appended
                } catch {
                    _ = try? await connection.query("ROLLBACK", logger: logger).collect()
                    throw error
                }
            }
        }
    }

    public func messages(in roomID: RoomID, before: MessageID?, limit: Int) async throws -> [Message] {
        try await rows(
            """
            SELECT * FROM messages WHERE room_id = \(roomID.rawValue) AND id < \(before?.rawValue ?? Int64.max) AND deleted_at IS NULL
            ORDER BY id DESC LIMIT \(Int64(limit))
            """
        ).map(Message.init(row:))
    }

    public func message(id: MessageID) async throws -> Message? {
        try await row("SELECT * FROM messages WHERE id = \(id.rawValue)").map(Message.init(row:))
    }

    public func message(clientID: String, of authorID: UserID, in roomID: RoomID) async throws -> Message? {
        try await row(
            "SELECT * FROM messages WHERE room_id = \(roomID.rawValue) AND author_id = \(authorID.rawValue) AND client_id = \(clientID)"
        ).map(Message.init(row:))
    }

    public func editMessage(_ id: MessageID, body: String, at date: Date) async throws -> Message {
        guard
            let row = try await row(
                """
                UPDATE messages SET body = \(body), edited_at = \(date.storageMilliseconds)
                WHERE id = \(id.rawValue) AND deleted_at IS NULL RETURNING *
                """)
        else { throw StorageError.notFound("no message with id \(id)") }
        return try Message(row: row)
    }

    public func deleteMessage(_ id: MessageID, at date: Date, audit: AuditRecord?) async throws -> Message {
        try await transaction { db in
            guard
                let row = try await db.row(
                    """
                    UPDATE messages SET deleted_at = \(date.storageMilliseconds)
                    WHERE id = \(id.rawValue) AND deleted_at IS NULL RETURNING *
                    """)
            else { throw StorageError.notFound("no message with id \(id)") }
            let message = try Message(row: row)
            try await db.run(
                """
                UPDATE message_threads SET reply_count = reply_count - 1
                WHERE message_id = (SELECT reply_to FROM message_replies WHERE message_id = \(id.rawValue)) AND reply_count > 0
                """)
            try await db.run("DELETE FROM message_mentions WHERE message_id = \(id.rawValue)")
            try await Self.record(audit, in: message.roomID, db)
            return message
        }
    }

    public func lastMessageDate(of authorID: UserID, in roomID: RoomID) async throws -> Date? {
        try await row(
            "SELECT max(created_at) AS last FROM messages WHERE room_id = \(roomID.rawValue) AND author_id = \(authorID.rawValue)"
        )?.optionalDate("last")
    }
}

extension Message {
    init(row: PostgresRandomAccessRow) throws {
        self.init(
            id: MessageID(try row.value("id", as: Int64.self)), roomID: RoomID(try row.value("room_id", as: Int64.self)),
            authorID: UserID(try row.value("author_id", as: Int64.self)), body: try row.value("body"), clientID: try row.value("client_id"),
            createdAt: try row.date("created_at"), editedAt: try row.optionalDate("edited_at"), deletedAt: try row.optionalDate("deleted_at"))
    }
}
