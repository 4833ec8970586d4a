public import EchoPluginAPI
public import Foundation
import GRDB

/// Emoji reactions. SQLite has one writer at a time, so the distinct-emoji count and the insert
/// are one step.
extension SQLiteStorage: ReactionStore {
    public func addReaction(_ emoji: String, to message: MessageID, by user: UserID, at date: Date, maxDistinct: Int) async throws -> ReactionChange {
        try await perform { db in
            let id = message.rawValue
            if try db.row("SELECT 1 FROM reactions WHERE message_id = ? AND emoji = ? AND user_id = ?", [id, emoji, user.rawValue]) != nil {
                return .unchanged
            }
            if try db.row("SELECT 1 FROM reactions WHERE message_id = ? AND emoji = ? LIMIT 1", [id, emoji]) == nil,
                try Int.fetchOne(db, sql: "SELECT count(DISTINCT emoji) FROM reactions WHERE message_id = ?", arguments: [id]) ?? 0 >= maxDistinct
            {
                return .tooManyDistinct
            }
            try db.run(
                "INSERT INTO reactions (message_id, emoji, user_id, created_at) VALUES (?, ?, ?, ?)", [id, emoji, user.rawValue, date.storageMilliseconds])
            return .added
        }
    }

    public func removeReaction(_ emoji: String, from message: MessageID, by user: UserID) async throws -> Bool {
        try await perform { db in
            try db.run("DELETE FROM reactions WHERE message_id = ? AND emoji = ? AND user_id = ?", [message.rawValue, emoji, user.rawValue])
            return db.changesCount > 0
        }
    }

    public func reactions(on messages: [MessageID], viewer: UserID) async throws -> [MessageID: [ReactionCount]] {
        guard !messages.isEmpty else { return [:] }
        return try await read { db in
            var result: [MessageID: [ReactionCount]] = [:]
            // A page of history is at most a few hundred messages; chunks keep each statement small.
            for start in stride(from: 0, to: messages.count, by: 200) {
                let chunk = messages[start..<min(start + 200, messages.count)]
                let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                let rows = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT message_id, emoji, count(*) AS people, max(user_id = ?) AS mine, min(created_at) AS first
                        FROM reactions WHERE message_id IN (\(marks)) GROUP BY message_id, emoji ORDER BY message_id, first, emoji
                        """,
                    arguments: StatementArguments([viewer.rawValue] + chunk.map(\.rawValue)))
                for row in rows {
                    result[MessageID(row["message_id"] as Int64), default: []].append(
                        ReactionCount(emoji: row["emoji"], count: row["people"], includesViewer: (row["mine"] as Int64) != 0))
                }
            }
            return result
        }
    }
}
