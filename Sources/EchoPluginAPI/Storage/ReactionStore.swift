public import Foundation

/// How many people reacted to a message with one emoji, and whether the reader is among them.
///
/// - Note: Added in EchoPluginAPI 1.10.
public struct ReactionCount: Hashable, Sendable {
    /// The emoji: one grapheme cluster, or a `:name:`.
    public var emoji: String
    /// How many people reacted with it.
    public var count: Int
    /// Whether the reader did.
    public var includesViewer: Bool

    /// Creates a count.
    public init(emoji: String, count: Int, includesViewer: Bool) {
        self.emoji = emoji
        self.count = count
        self.includesViewer = includesViewer
    }
}

/// What ``ReactionStore/addReaction(_:to:by:at:maxDistinct:)`` did.
///
/// - Note: Added in EchoPluginAPI 1.10.
public enum ReactionChange: Hashable, Sendable {
    /// The reaction was recorded.
    case added
    /// The user had already reacted with that emoji; nothing changed.
    case unchanged
    /// The message already carries the most distinct emoji allowed, and this one is not among them.
    case tooManyDistinct
}

/// Emoji reactions on messages.
///
/// A user reacts at most once with each emoji to a message; a message carries at most
/// `maxDistinct` distinct emoji. Reactions go with their message when it is deleted for good.
/// Run `StorageConformance.reactionChecks`.
///
/// - Note: Added in EchoPluginAPI 1.10.
public protocol ReactionStore: Storage {
    /// Records `user`'s reaction in one transaction: `.unchanged` when it is there already,
    /// `.tooManyDistinct` (nothing recorded) when the emoji would be the message's
    /// `maxDistinct + 1`th distinct one.
    func addReaction(_ emoji: String, to message: MessageID, by user: UserID, at date: Date, maxDistinct: Int) async throws -> ReactionChange

    /// Removes `user`'s reaction; returns whether there was one.
    @discardableResult
    func removeReaction(_ emoji: String, from message: MessageID, by user: UserID) async throws -> Bool

    /// The reactions on each of `messages` that has any, each list in the order its emoji were
    /// first used, with whether `viewer` is among those who reacted.
    func reactions(on messages: [MessageID], viewer: UserID) async throws -> [MessageID: [ReactionCount]]
}
