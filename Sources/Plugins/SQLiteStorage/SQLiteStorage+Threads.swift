public import EchoPluginAPI
import Foundation
import GRDB

/// Replies: which message answers which, and each parent's count, written with the messages.
extension SQLiteStorage: ThreadStore {
    public func threadInfo(for messages: [MessageID]) async throws -> [MessageID: ThreadInfo] {
        guard !messages.isEmpty else { return [:] }
        return try await read { db in
            var result: [MessageID: ThreadInfo] = [:]
            for start in stride(from: 0, to: messages.count, by: 200) {
                let chunk = messages[start..<min(start + 200, messages.count)].map(\.rawValue)
                let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                for row in try Row.fetchAll(
                    db, sql: "SELECT message_id, reply_to FROM message_replies WHERE message_id IN (\(marks))", arguments: StatementArguments(chunk))
                {
                    result[MessageID(row["message_id"] as Int64), default: .none].replyTo = MessageID(row["reply_to"] as Int64)
                }
                for row in try Row.fetchAll(
                    db, sql: "SELECT * FROM message_threads WHERE message_id IN (\(marks))", arguments: StatementArguments(chunk))
                {
                    let id = MessageID(row["message_id"] as Int64)
                    result[id, default: .none].replyCount = row["reply_count"]
                    result[id, default: .none].lastReplyAt = (row["last_reply_at"] as Int64?).map(Date.init(storageMilliseconds:))
                }
            }
            return result
        }
    }

    public func replies(to parent: MessageID, after: MessageID?, limit: Int) async throws -> [Message] {
        try await read { db in
            try db.rows(
                """
                SELECT m.* FROM message_replies r JOIN messages m ON m.id = r.message_id
                WHERE r.reply_to = ? AND r.message_id > ? AND m.deleted_at IS NULL ORDER BY r.message_id LIMIT ?
                """,
                [parent.rawValue, after?.rawValue ?? 0, limit]
            ).map(Message.init(row:))
        }
    }

    /// Records that `message` replies to `parent` and counts it on the parent.
    static func recordReply(_ message: Int64, to parent: Int64, at created: Int64, _ db: Database) throws {
        try db.run("INSERT INTO message_replies (message_id, reply_to) VALUES (?, ?)", [message, parent])
        try db.run(
            """
            INSERT INTO message_threads (message_id, reply_count, last_reply_at) VALUES (?, 1, ?)
            ON CONFLICT (message_id) DO UPDATE SET reply_count = reply_count + 1, last_reply_at = max(COALESCE(last_reply_at, 0), excluded.last_reply_at)
            """, [parent, created])
    }

    /// A deleted message that was a reply no longer counts on its parent.
    static func countOffReply(_ message: Int64, _ db: Database) throws {
        try db.run(
            """
            UPDATE message_threads SET reply_count = reply_count - 1
            WHERE message_id = (SELECT reply_to FROM message_replies WHERE message_id = ?) AND reply_count > 0
            """, [message])
    }
}
