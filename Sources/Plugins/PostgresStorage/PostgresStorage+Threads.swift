public import EchoPluginAPI
import Foundation
import PostgresNIO

/// Replies: which message answers which, and each parent's count, written with the messages.
extension PostgresStorage: ThreadStore {
    public func threadInfo(for messages: [MessageID]) async throws -> [MessageID: ThreadInfo] {
        guard !messages.isEmpty else { return [:] }
        let ids = messages.map(\.rawValue)
        var result: [MessageID: ThreadInfo] = [:]
        for row in try await rows("SELECT message_id, reply_to FROM message_replies WHERE message_id = ANY(\(ids))") {
            result[MessageID(try row.value("message_id", as: Int64.self)), default: .none].replyTo = MessageID(try row.value("reply_to", as: Int64.self))
        }
        for row in try await rows("SELECT message_id, reply_count, last_reply_at FROM message_threads WHERE message_id = ANY(\(ids))") {
            let id = MessageID(try row.value("message_id", as: Int64.self))
            result[id, default: .none].replyCount = Int(try row.value("reply_count", as: Int64.self))
            result[id, default: .none].lastReplyAt = try row.optionalDate("last_reply_at")
        }
        return result
    }

    public func replies(to parent: MessageID, after: MessageID?, limit: Int) async throws -> [Message] {
        try await rows(
            """
            SELECT m.* FROM message_replies r JOIN messages m ON m.id = r.message_id
            WHERE r.reply_to = \(parent.rawValue) AND r.message_id > \(after?.rawValue ?? 0) AND m.deleted_at IS NULL
            ORDER BY r.message_id LIMIT \(Int64(limit))
            """
        ).map(Message.init(row:))
    }
}
