public import EchoPluginAPI
public import Foundation
import GRDB

/// Read markers, mentions and unread counts. A room's messages carry ordinals 1, 2, 3, … in
/// posting order, so the messages after a marker number the room's last ordinal minus the
/// marker's; deleted ones and mentions come from indexes of their own.
extension SQLiteStorage: UnreadStore {
    /// Moves the marker of user ?1 in room ?2 forward to message ?3 at time ?4.
    static let moveMarker = """
        INSERT INTO read_markers (user_id, room_id, message_id, updated_at) VALUES (?1, ?2, ?3, ?4)
        ON CONFLICT (user_id, room_id) DO UPDATE SET message_id = excluded.message_id, updated_at = excluded.updated_at
        WHERE excluded.message_id > read_markers.message_id
        """

    public func markRead(_ messageID: MessageID, by userID: UserID, in roomID: RoomID, at date: Date) async throws -> Bool {
        try await perform { db in
            guard try db.row("SELECT 1 FROM messages WHERE id = ? AND room_id = ?", [messageID.rawValue, roomID.rawValue]) != nil else {
                throw StorageError.notFound("no message \(messageID) in room \(roomID)")
            }
            try db.run(Self.moveMarker, [userID.rawValue, roomID.rawValue, messageID.rawValue, date.storageMilliseconds])
            return db.changesCount > 0
        }
    }

    public func readMarkers(of userID: UserID, in rooms: [RoomID]) async throws -> [RoomID: MessageID] {
        guard !rooms.isEmpty else { return [:] }
        return try await read { db in
            var markers: [RoomID: MessageID] = [:]
            let lookup = try db.cachedStatement(sql: "SELECT message_id FROM read_markers WHERE user_id = ? AND room_id = ?")
            for room in rooms {
                if let id = try Int64.fetchOne(lookup, arguments: [userID.rawValue, room.rawValue]) { markers[room] = MessageID(id) }
            }
            return markers
        }
    }

    public func unreadCounts(of userID: UserID, in rooms: [RoomID], excludingAuthors: Set<UserID>) async throws -> [RoomID: UnreadCount] {
        guard !rooms.isEmpty else { return [:] }
        let excluded = excludingAuthors.map(\.rawValue).sorted()
        return try await read { db in
            // A marker on a message without an ordinal (stored by a release before them) counts
            // from the last numbered message before it.
            let marker = try db.cachedStatement(
                sql: """
                    SELECT r.message_id, coalesce(m.seq, (SELECT p.seq FROM messages p WHERE p.room_id = r.room_id AND p.id <= r.message_id
                        AND p.seq IS NOT NULL ORDER BY p.id DESC LIMIT 1), 0) AS seq, m.created_at
                    FROM read_markers r JOIN messages m ON m.id = r.message_id WHERE r.user_id = ? AND r.room_id = ?
                    """)
            let last = try db.cachedStatement(sql: "SELECT max(seq) FROM messages WHERE room_id = ?")
            let deleted = try db.cachedStatement(sql: "SELECT count(*) FROM messages WHERE room_id = ? AND deleted_at IS NOT NULL AND id > ?")
            let mentioned = try db.cachedStatement(
                sql: "SELECT count(DISTINCT message_id) FROM message_mentions WHERE room_id = ?1 AND user_id IN (?2, 0) AND message_id > ?3")
            var counts: [RoomID: UnreadCount] = [:]
            for room in rooms {
                let newest = try Int64.fetchOne(last, arguments: [room.rawValue]) ?? 0
                let read = try Row.fetchOne(marker, arguments: [userID.rawValue, room.rawValue])
                let (markerID, markerSeq, markerTime): (Int64, Int64, Int64) = read.map { ($0[0], $0[1] ?? 0, $0[2] ?? 0) } ?? (0, 0, 0)
                guard newest > markerSeq else {
                    counts[room] = UnreadCount(unread: 0, mentions: 0)
                    continue
                }
                var gone = try Int.fetchOne(deleted, arguments: [room.rawValue, markerID]) ?? 0
                var mentions = try Int.fetchOne(mentioned, arguments: [room.rawValue, userID.rawValue, markerID]) ?? 0
                if !excluded.isEmpty {
                    // Only the excluded authors' own messages since the marker are read, through
                    // their (room, author, time) index.
                    let marks = Array(repeating: "?", count: excluded.count).joined(separator: ",")
                    let hidden = StatementArguments([room.rawValue, markerTime, markerID] + excluded)
                    gone += try Int.fetchOne(
                        db,
                        sql: """
                            SELECT count(*) FROM messages WHERE room_id = ? AND created_at >= ? AND id > ? AND deleted_at IS NULL
                            AND author_id IN (\(marks))
                            """, arguments: hidden) ?? 0
                    mentions -= try Int.fetchOne(
                        db,
                        sql: """
                            SELECT count(DISTINCT x.message_id) FROM message_mentions x JOIN messages m ON m.id = x.message_id
                            WHERE x.room_id = ? AND x.message_id > ? AND x.user_id IN (?, 0) AND m.author_id IN (\(marks))
                            """, arguments: StatementArguments([room.rawValue, markerID, userID.rawValue] + excluded)) ?? 0
                }
                counts[room] = UnreadCount(unread: max(0, Int(newest - markerSeq) - gone), mentions: max(0, mentions))
            }
            return counts
        }
    }

    public func mentions(in messages: [MessageID]) async throws -> [MessageID: MessageMentions] {
        guard !messages.isEmpty else { return [:] }
        return try await read { db in
            var result: [MessageID: MessageMentions] = [:]
            for start in stride(from: 0, to: messages.count, by: 200) {
                let chunk = messages[start..<min(start + 200, messages.count)].map(\.rawValue)
                let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                for row in try Row.fetchAll(
                    db, sql: "SELECT message_id, user_id FROM message_mentions WHERE message_id IN (\(marks)) ORDER BY message_id, user_id",
                    arguments: StatementArguments(chunk))
                {
                    let id = MessageID(row["message_id"] as Int64)
                    let user: Int64 = row["user_id"]
                    if user == 0 { result[id, default: .none].room = true } else { result[id, default: .none].users.append(UserID(user)) }
                }
            }
            return result
        }
    }

    public func setMentions(_ mentions: MessageMentions, of message: MessageID) async throws {
        try await perform { db in
            guard let room: Int64 = try db.row("SELECT room_id FROM messages WHERE id = ?", [message.rawValue])?["room_id"] else {
                throw StorageError.notFound("no message with id \(message)")
            }
            try db.run("DELETE FROM message_mentions WHERE message_id = ?", [message.rawValue])
            try Self.storeMentions(mentions, of: message.rawValue, in: room, db)
        }
    }

    /// Mentions as rows: one per user, and user 0 for the room.
    static func storeMentions(_ mentions: MessageMentions, of message: Int64, in room: Int64, _ db: Database) throws {
        let insert = try db.cachedStatement(sql: "INSERT OR IGNORE INTO message_mentions (message_id, user_id, room_id) VALUES (?, ?, ?)")
        for user in mentions.users { try insert.execute(arguments: [message, user.rawValue, room]) }
        if mentions.room { try insert.execute(arguments: [message, 0, room]) }
    }
}
