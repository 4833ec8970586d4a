public import EchoPluginAPI
public import Foundation
import PostgresNIO

/// Emoji reactions. Adding one holds the message row's lock, so that concurrent reactions on one
/// message (from any instance) count its distinct emoji one at a time.
extension PostgresStorage: ReactionStore {
    public func addReaction(_ emoji: String, to message: MessageID, by user: UserID, at date: Date, maxDistinct: Int) async throws -> ReactionChange {
        try await transaction { db in
            let id = message.rawValue
            guard try await db.row("SELECT id FROM messages WHERE id = \(id) FOR NO KEY UPDATE") != nil else {
                throw StorageError.notFound("no message with id \(id)")
            }
            if try await db.row("SELECT 1 FROM reactions WHERE message_id = \(id) AND emoji = \(emoji) AND user_id = \(user.rawValue)") != nil {
                return .unchanged
            }
            if try await db.row("SELECT 1 FROM reactions WHERE message_id = \(id) AND emoji = \(emoji) LIMIT 1") == nil {
                let distinct = try await db.row("SELECT count(DISTINCT emoji) AS distinct_emoji FROM reactions WHERE message_id = \(id)")
                if try distinct?.value("distinct_emoji", as: Int64.self) ?? 0 >= Int64(maxDistinct) { return .tooManyDistinct }
            }
            try await db.run(
                """
                INSERT INTO reactions (message_id, emoji, user_id, created_at) VALUES (\(id), \(emoji), \(user.rawValue), \(date.storageMilliseconds))
                """)
            return .added
        }
    }

    public func removeReaction(_ emoji: String, from message: MessageID, by user: UserID) async throws -> Bool {
        !(try await rows(
            "DELETE FROM reactions WHERE message_id = \(message.rawValue) AND emoji = \(emoji) AND user_id = \(user.rawValue) RETURNING 1"
        ).isEmpty)
    }

    public func reactions(on messages: [MessageID], viewer: UserID) async throws -> [MessageID: [ReactionCount]] {
        guard !messages.isEmpty else { return [:] }
        var result: [MessageID: [ReactionCount]] = [:]
        for row in try await rows(
            """
            SELECT message_id, emoji, count(*) AS people, bool_or(user_id = \(viewer.rawValue)) AS mine, min(created_at) AS first
            FROM reactions WHERE message_id = ANY(\(messages.map(\.rawValue))) GROUP BY message_id, emoji ORDER BY message_id, first, emoji
            """)
        {
            result[MessageID(try row.value("message_id", as: Int64.self)), default: []].append(
                ReactionCount(
                    emoji: try row.value("emoji"), count: Int(try row.value("people", as: Int64.self)), includesViewer: try row.value("mine")))
        }
        return result
    }
}
