public import EchoPluginAPI
public import Foundation
import PostgresNIO

/// Read markers, mentions and unread counts. A room's messages carry ordinals 1, 2, 3, … in
/// posting order (room_sequences holds the last), so the messages after a marker number the
/// room's last ordinal minus the marker's; deleted ones and mentions come from indexes of their own.
extension PostgresStorage: UnreadStore {
    public func markRead(_ messageID: MessageID, by userID: UserID, in roomID: RoomID, at date: Date) async throws -> Bool {
        let rows = try await rows(
            """
            WITH target AS (SELECT id FROM messages WHERE id = \(messageID.rawValue) AND room_id = \(roomID.rawValue)),
            moved AS (
                INSERT INTO read_markers (user_id, room_id, message_id, updated_at)
                SELECT \(userID.rawValue), \(roomID.rawValue), id, \(date.storageMilliseconds) FROM target
                ON CONFLICT (user_id, room_id) DO UPDATE SET message_id = excluded.message_id, updated_at = excluded.updated_at
                WHERE excluded.message_id > read_markers.message_id
                RETURNING 1
            )
            SELECT (SELECT count(*) FROM target) AS found, (SELECT count(*) FROM moved) AS moved
            """)
        guard let row = rows.first, try row.value("found", as: Int64.self) > 0 else {
            throw StorageError.notFound("no message \(messageID) in room \(roomID)")
        }
        return try row.value("moved", as: Int64.self) > 0
    }

    public func readMarkers(of userID: UserID, in rooms: [RoomID]) async throws -> [RoomID: MessageID] {
        guard !rooms.isEmpty else { return [:] }
        var markers: [RoomID: MessageID] = [:]
        for row in try await rows(
            "SELECT room_id, message_id FROM read_markers WHERE user_id = \(userID.rawValue) AND room_id = ANY(\(rooms.map(\.rawValue)))")
        {
            markers[RoomID(try row.value("room_id", as: Int64.self))] = MessageID(try row.value("message_id", as: Int64.self))
        }
        return markers
    }

    public func unreadCounts(of userID: UserID, in rooms: [RoomID], excludingAuthors: Set<UserID>) async throws -> [RoomID: UnreadCount] {
        guard !rooms.isEmpty else { return [:] }
        let user = userID.rawValue
        // The excluded authors' messages after the marker are read through their index only.
        let excluded = excludingAuthors.map(\.rawValue).sorted()
        var counts: [RoomID: UnreadCount] = [:]
        for row in try await rows(
            """
            SELECT c.room_id, c.newest - c.marker_seq AS after,
                CASE WHEN c.newest > c.marker_seq THEN (SELECT count(*) FROM messages d
                    WHERE d.room_id = c.room_id AND d.deleted_at IS NOT NULL AND d.id > c.marker_id)
                    + (SELECT count(*) FROM messages h WHERE h.room_id = c.room_id AND h.author_id = ANY(\(excluded)::bigint[])
                        AND h.created_at >= c.marker_time AND h.id > c.marker_id AND h.deleted_at IS NULL) ELSE 0 END AS gone,
                CASE WHEN c.newest > c.marker_seq THEN (SELECT count(DISTINCT x.message_id) FROM message_mentions x
                    JOIN messages m ON m.id = x.message_id
                    WHERE x.room_id = c.room_id AND x.user_id IN (\(user), 0) AND x.message_id > c.marker_id
                        AND NOT (m.author_id = ANY(\(excluded)::bigint[]))) ELSE 0 END AS mentions
            FROM (
                SELECT r.room_id, COALESCE(s.last_seq, 0) AS newest, COALESCE(mk.message_id, 0) AS marker_id,
                    COALESCE(mm.created_at, 0) AS marker_time,
                    -- A marker on a message without an ordinal (stored by a release before them)
                    -- counts from the last numbered message before it.
                    COALESCE(mm.seq, (SELECT p.seq FROM messages p WHERE p.room_id = r.room_id AND p.id <= mk.message_id
                        AND p.seq IS NOT NULL ORDER BY p.id DESC LIMIT 1), 0) AS marker_seq
                FROM unnest(\(rooms.map(\.rawValue))::bigint[]) AS r(room_id)
                LEFT JOIN room_sequences s ON s.room_id = r.room_id
                LEFT JOIN read_markers mk ON mk.room_id = r.room_id AND mk.user_id = \(user)
                LEFT JOIN messages mm ON mm.id = mk.message_id
            ) c
            """)
        {
            let after = try row.value("after", as: Int64.self)
            let gone = try row.value("gone", as: Int64.self)
            counts[RoomID(try row.value("room_id", as: Int64.self))] = UnreadCount(
                unread: Int(max(0, after - gone)), mentions: Int(try row.value("mentions", as: Int64.self)))
        }
        return counts
    }

    public func mentions(in messages: [MessageID]) async throws -> [MessageID: MessageMentions] {
        guard !messages.isEmpty else { return [:] }
        var result: [MessageID: MessageMentions] = [:]
        for row in try await rows(
            "SELECT message_id, user_id FROM message_mentions WHERE message_id = ANY(\(messages.map(\.rawValue))) ORDER BY message_id, user_id")
        {
            let id = MessageID(try row.value("message_id", as: Int64.self))
            let user = try row.value("user_id", as: Int64.self)
            if user == 0 { result[id, default: .none].room = true } else { result[id, default: .none].users.append(UserID(user)) }
        }
        return result
    }

    public func setMentions(_ mentions: MessageMentions, of message: MessageID) async throws {
        let users = mentions.users.map(\.rawValue) + (mentions.room ? [0] : [])
        try await transaction { db in
            guard try await db.row("SELECT id FROM messages WHERE id = \(message.rawValue) FOR UPDATE") != nil else {
                throw StorageError.notFound("no message with id \(message)")
            }
            try await db.run("DELETE FROM message_mentions WHERE message_id = \(message.rawValue)")
            try await db.run(
                """
                INSERT INTO message_mentions (message_id, user_id, room_id)
                SELECT m.id, u, m.room_id FROM messages m, unnest(\(users)::bigint[]) AS u WHERE m.id = \(message.rawValue) ON CONFLICT DO NOTHING
                """)
        }
    }
}
