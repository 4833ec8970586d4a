public import EchoPluginAPI
public import Foundation
import GRDB

extension SQLiteStorage {
    public func appendMessages(_ messages: [NewMessage]) async throws -> [AppendedMessage] {
        guard !messages.isEmpty else { return [] }
        return try await perform { db in
            // Each message takes the next ordinal of its room (writes are serialized, so none is taken twice).
            let insert = try db.cachedStatement(
                sql: """
                    INSERT INTO messages (room_id, author_id, body, client_id, created_at, seq)
                    VALUES (?1, ?2, ?3, ?4, ?5, (SELECT coalesce(max(seq), 0) + 1 FROM messages WHERE room_id = ?1))
                    """)
            // Who posts has read what came before.
            let marker = try db.cachedStatement(sql: Self.moveMarker)
            let lookup = try db.cachedStatement(sql: "SELECT * FROM messages WHERE room_id = ? AND author_id = ? AND client_id = ?")
            return try messages.map { message in
                if let clientID = message.clientID,
                    let existing = try Row.fetchOne(lookup, arguments: [message.roomID.rawValue, message.authorID.rawValue, clientID])
                {
                    return AppendedMessage(message: Message(row: existing), isDuplicate: true)
                }
                let created = message.createdAt.storageMilliseconds
                try insert.execute(arguments: [message.roomID.rawValue, message.authorID.rawValue, message.body, message.clientID, created])
                let id = db.lastInsertedRowID
                if let parent = message.replyTo { try Self.recordReply(id, to: parent.rawValue, at: created, db) }
                try marker.execute(arguments: [message.authorID.rawValue, message.roomID.rawValue, id, created])
                if !message.mentions.isEmpty { try Self.storeMentions(message.mentions, of: id, in: message.roomID.rawValue, db) }
                return AppendedMessage(
                    message: Message(
                        id: MessageID(id), roomID: message.roomID, authorID: message.authorID, body: message.body,
                        clientID: message.clientID, createdAt: Date(storageMilliseconds: created)),
                    isDuplicate: false)
            }
        }
    }

    public func messages(in roomID: RoomID, before: MessageID?, limit: Int) async throws -> [Message] {
        try await read { db in
            try db.rows(
                "SELECT * FROM messages WHERE room_id = ? AND id < ? AND deleted_at IS NULL ORDER BY id DESC LIMIT ?",
                [roomID.rawValue, before?.rawValue ?? Int64.max, limit]
            ).map(Message.init(row:))
        }
    }

    public func message(id: MessageID) async throws -> Message? {
        try await read { db in
            try db.row("SELECT * FROM messages WHERE id = ?", [id.rawValue]).map(Message.init(row:))
        }
    }

    public func message(clientID: String, of authorID: UserID, in roomID: RoomID) async throws -> Message? {
        try await read { db in
            try db.row(
                "SELECT * FROM messages WHERE room_id = ? AND author_id = ? AND client_id = ?", [roomID.rawValue, authorID.rawValue, clientID]
            ).map(Message.init(row:))
        }
    }

    public func editMessage(_ id: MessageID, body: String, at date: Date) async throws -> Message {
        try await perform { db in
            try db.run(
                "UPDATE messages SET body = ?, edited_at = ? WHERE id = ? AND deleted_at IS NULL",
                [body, date.storageMilliseconds, id.rawValue])
            guard db.changesCount > 0, let row = try db.row("SELECT * FROM messages WHERE id = ?", [id.rawValue])
            else { throw StorageError.notFound("no message with id \(id)") }
            return Message(row: row)
        }
    }

    public func deleteMessage(_ id: MessageID, at date: Date, audit: AuditRecord?) async throws -> Message {
        try await perform { db in
            try db.run("UPDATE messages SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL", [date.storageMilliseconds, id.rawValue])
            guard db.changesCount > 0, let row = try db.row("SELECT * FROM messages WHERE id = ?", [id.rawValue])
            else { throw StorageError.notFound("no message with id \(id)") }
            let message = Message(row: row)
            try Self.countOffReply(id.rawValue, db)
            try db.run("DELETE FROM message_mentions WHERE message_id = ?", [id.rawValue])
            try Self.record(audit, in: message.roomID, db)
            return message
        }
    }

    public func lastMessageDate(of authorID: UserID, in roomID: RoomID) async throws -> Date? {
        try await read { db in
            try Int64.fetchOne(
                db, sql: "SELECT max(created_at) FROM messages WHERE room_id = ? AND author_id = ?",
                arguments: [roomID.rawValue, authorID.rawValue]
            ).map(Date.init(storageMilliseconds:))
        }
    }
}

extension Message {
    init(row: Row) {
        self.init(
            id: MessageID(row["id"] as Int64), roomID: RoomID(row["room_id"] as Int64), authorID: UserID(row["author_id"] as Int64),
            body: row["body"], clientID: row["client_id"], createdAt: Date(storageMilliseconds: row["created_at"]),
            editedAt: (row["edited_at"] as Int64?).map(Date.init(storageMilliseconds:)),
            deletedAt: (row["deleted_at"] as Int64?).map(Date.init(storageMilliseconds:)))
    }
}
