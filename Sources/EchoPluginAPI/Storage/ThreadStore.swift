public import Foundation

/// Where a message stands in threads: what it replies to, and its own replies.
///
/// - Note: Added in EchoPluginAPI 1.10.
public struct ThreadInfo: Hashable, Sendable {
    /// The message it replies to, if it is a reply.
    public var replyTo: MessageID?
    /// How many of its replies are not deleted.
    public var replyCount: Int
    /// When the latest reply to it was posted.
    public var lastReplyAt: Date?

    /// Creates thread facts.
    public init(replyTo: MessageID?, replyCount: Int, lastReplyAt: Date?) {
        self.replyTo = replyTo
        self.replyCount = replyCount
        self.lastReplyAt = lastReplyAt
    }

    /// A message no thread touches.
    public static let none = ThreadInfo(replyTo: nil, replyCount: 0, lastReplyAt: nil)
}

/// Replies and threads.
///
/// A storage that conforms keeps ``NewMessage/replyTo`` of every message
/// ``MessageStore/appendMessages(_:)`` stores, and in the same transaction counts the reply on
/// its parent (``ThreadInfo/replyCount`` up by one, ``ThreadInfo/lastReplyAt`` its time; a
/// duplicate `client_id` counts nothing). ``MessageStore/deleteMessage(_:at:audit:)`` of a reply
/// counts it off its parent in its transaction. Run `StorageConformance.threadChecks`.
///
/// - Note: Added in EchoPluginAPI 1.10.
public protocol ThreadStore: Storage {
    /// The thread facts of each of `messages` that is a reply or has replies.
    func threadInfo(for messages: [MessageID]) async throws -> [MessageID: ThreadInfo]

    /// Up to `limit` replies to `parent` that are not deleted, oldest first, after `after` when given.
    func replies(to parent: MessageID, after: MessageID?, limit: Int) async throws -> [Message]
}
