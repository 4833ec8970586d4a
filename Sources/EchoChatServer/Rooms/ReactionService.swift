import EchoPluginAPI
import Foundation

/// Emoji reactions: adding and removing one (idempotent), and the `reaction.added` /
/// `reaction.removed` events. The changes to one message are made and published one at a time,
/// so that every socket sees them in the order they were stored.
struct ReactionService: Sendable {
    let storage: any Storage
    let bus: any EventBus
    /// Serializes the changes to each message on this instance.
    let order = KeyedSerializer<MessageID>()

    /// The most distinct emoji one message carries.
    static let maxDistinct = 20

    /// The storage's reactions, or 503 `not_supported` when the storage plugin has none.
    private var store: any ReactionStore {
        get throws {
            guard let store = storage as? any ReactionStore else {
                throw EchoError.unavailable("not_supported", "the storage plugin in use keeps no reactions")
            }
            return store
        }
    }

    func react(_ access: RoomAccess, to id: MessageID, with rawEmoji: String) async throws {
        let (store, emoji) = try await checked(access, id, rawEmoji)
        let user = access.principal.user
        try await order.run(id) {
            switch try await store.addReaction(emoji, to: id, by: user.id, at: Date(), maxDistinct: Self.maxDistinct) {
            case .unchanged:
                return
            case .tooManyDistinct:
                throw EchoError.conflict("too_many_reactions", "a message carries at most \(Self.maxDistinct) different reactions")
            case .added:
                await bus.publish(.reaction("reaction.added", emoji: emoji, on: id, by: user, room: access.room))
            }
        }
    }

    func unreact(_ access: RoomAccess, to id: MessageID, with rawEmoji: String) async throws {
        let (store, emoji) = try await checked(access, id, rawEmoji)
        let user = access.principal.user
        try await order.run(id) {
            if try await store.removeReaction(emoji, from: id, by: user.id) {
                await bus.publish(.reaction("reaction.removed", emoji: emoji, on: id, by: user, room: access.room))
            }
        }
    }

    /// The reactions on a page of messages, as `viewer` sees them; none when the storage keeps none.
    func reactions(on messages: [Message], viewer: UserID) async throws -> [MessageID: [ReactionCount]] {
        guard let store = storage as? any ReactionStore else { return [:] }
        return try await store.reactions(on: messages.map(\.id), viewer: viewer)
    }

    private func checked(_ access: RoomAccess, _ id: MessageID, _ rawEmoji: String) async throws -> (any ReactionStore, String) {
        try access.require(.react)
        let emoji = try Self.emoji(rawEmoji)
        let store = try store
        guard let message = try await storage.message(id: id), message.roomID == access.room.id, message.deletedAt == nil else {
            throw EchoError.notFound("no such message in this room", code: "message_not_found")
        }
        return (store, emoji)
    }

    /// A reaction as the API takes it: one emoji (a single grapheme cluster that is shown as an
    /// emoji), or a short `:name:` of lowercase letters, digits, `_`, `+` and `-`.
    static func emoji(_ raw: String) throws -> String {
        let invalid = EchoError.invalid("emoji: one emoji, or a :name: of up to 32 lowercase letters, digits, _ + -", code: "invalid_emoji")
        guard raw.utf8.count <= 64 else { throw invalid }
        if raw.hasPrefix(":") {
            let name = raw.dropFirst().dropLast()
            guard raw.count >= 3, raw.hasSuffix(":"), name.count <= 32,
                name.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || "_+-".unicodeScalars.contains($0) })
            else { throw invalid }
            return raw
        }
        guard raw.count == 1, let character = raw.first, Self.isEmoji(character) else { throw invalid }
        return raw
    }

    /// Whether the character is drawn as an emoji: one with emoji presentation, one asked for with
    /// VS16, a keycap, a flag, or a sequence joined with ZWJ.
    static func isEmoji(_ character: Character) -> Bool {
        let scalars = character.unicodeScalars
        guard scalars.allSatisfy({ !$0.properties.isWhitespace && $0.properties.generalCategory != .control }) else { return false }
        if scalars.contains(where: { $0.properties.isEmojiPresentation }) { return true }
        if scalars.contains(where: { $0.value == 0xFE0F || $0.value == 0x20E3 }) {
            return scalars.contains { $0.properties.isEmoji }
        }
        return false
    }
}
