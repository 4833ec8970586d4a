import EchoPluginAPI
import Foundation
import Logging
import NIOCore

/// Posting, editing, deleting and reading messages.
struct MessageService: Sendable {
    let storage: any Storage
    let bus: any EventBus
    let writer: MessageWriter
    /// The longest message body, in characters.
    let maxBodyLength: Int

    static let maxPageSize = 100

    /// A page of history, newest first, with the authors of its messages.
    struct Page: Sendable {
        let messages: [Message]
        let authors: [UserID: AuthorBody]
        /// Where the next (older) page starts, when there may be one.
        let nextBefore: MessageID?

        func author(of message: Message) -> AuthorBody { authors[message.authorID] ?? MessageService.unknownAuthor }
    }

    func history(_ access: RoomAccess, before: MessageID?, limit: Int) async throws -> Page {
        try access.require(.view)
        let messages = try await storage.messages(in: access.room.id, before: before, limit: limit)
        return Page(messages: messages, authors: try await authors(of: messages), nextBefore: messages.count == limit ? messages.last?.id : nil)
    }

    /// Posts a message (a reply when `replyTo` names one of the room's messages); returns it as
    /// stored, encoded once for the answer and the room's event.
    func post(_ access: RoomAccess, body: String, clientID: String?, replyTo: MessageID? = nil) async throws -> EncodedMessage {
        try access.require(.post)
        let body = try validated(body)
        var thread: MessageThreadBody?
        var parent: Message?
        if let replyTo {
            guard storage is any ThreadStore else { throw EchoError.unavailable("not_supported", "the storage plugin in use keeps no replies") }
            let quoted = try await existing(replyTo, in: access)
            parent = quoted
            thread = MessageThreadBody(
                replyTo: QuoteBody(quoted, id: replyTo, author: try await authors(of: [quoted])[quoted.authorID]), replyCount: 0, lastReplyAt: nil)
        } else if storage is any ThreadStore {
            thread = MessageThreadBody(replyTo: nil, replyCount: 0, lastReplyAt: nil)
        }
        if let clientID, !(1...128).contains(clientID.utf8.count) || clientID.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            throw EchoError.invalid("client_id must be 1–128 bytes without control characters", code: "invalid_client_id")
        }
        let user = access.principal.user
        let author = AuthorBody(user)
        // A retry gets the first message back, even inside a slowmode interval.
        if let clientID, let earlier = try await storage.message(clientID: clientID, of: user.id, in: access.room.id) {
            // The first message is gone: handing it back would show a message history no longer has.
            guard earlier.deletedAt == nil else {
                throw EchoError.conflict("message_deleted", "the message sent with this client_id was deleted; send with a new client_id")
            }
            return try EncodedMessage(earlier, room: access.room, author: author, thread: try await Self.threads(for: [earlier], storage: storage)[earlier.id])
        }
        let exempt = RoomPolicy.isExempt(access.subject, from: .slowmode)
        var message = NewMessage(roomID: access.room.id, authorID: user.id, body: body, clientID: clientID, createdAt: Date(), replyTo: replyTo)
        if storage is any UnreadStore {
            let (mentions, shown) = try await Mentions.resolve(body, mayMentionRoom: Mentions.mayMentionRoom(access), storage: storage)
            message.mentions = mentions
            if thread == nil { thread = MessageThreadBody(mentions: shown) } else { thread?.mentions = shown }
        }
        var post = MessageWriter.Post(message: message, room: access.room, author: author, slowmodeSeconds: exempt ? 0 : access.room.slowmodeSeconds)
        post.thread = thread
        let written = try await writer.append(post)
        if let parent, !written.result.isDuplicate { await threadChanged(parent, in: access.room) }
        return written.encoded
    }

    /// The replies to one of the room's messages, oldest first, after `after`.
    func replies(_ access: RoomAccess, to id: MessageID, after: MessageID?, limit: Int) async throws -> (page: Page, threads: [MessageID: MessageThreadBody]) {
        try access.require(.view)
        guard let threads = storage as? any ThreadStore else { throw EchoError.unavailable("not_supported", "the storage plugin in use keeps no replies") }
        guard let parent = try await storage.message(id: id), parent.roomID == access.room.id else {
            throw EchoError.notFound("no such message in this room", code: "message_not_found")
        }
        let replies = try await threads.replies(to: parent.id, after: after, limit: limit)
        let page = Page(messages: replies, authors: try await authors(of: replies), nextBefore: replies.count == limit ? replies.last?.id : nil)
        return (page, try await Self.threads(for: replies, storage: storage))
    }

    /// A reply was stored: its parent's `reply_count` and `last_reply_at` go out as `message.updated`.
    private func threadChanged(_ parent: Message, in room: Room) async {
        do {
            guard let current = try await storage.message(id: parent.id), current.deletedAt == nil else { return }
            let author = try await authors(of: [current])[current.authorID] ?? Self.unknownAuthor
            let thread = try await Self.threads(for: [current], storage: storage)[current.id]
            await bus.publish(.messageUpdated(current, room: room, author: author, thread: thread))
        } catch {
            // The reply is stored; the count shows at the next read.
        }
    }

    /// What each message quotes and how many replies it has, with a storage that keeps threads,
    /// and whom it mentions, with a storage that keeps mentions.
    static func threads(for messages: [Message], storage: any Storage) async throws -> [MessageID: MessageThreadBody] {
        var result = try await replyFacts(for: messages, storage: storage)
        guard let unread = storage as? any UnreadStore, !messages.isEmpty else { return result }
        let mentions = try await unread.mentions(in: messages.map(\.id))
        let users = try await storage.users(ids: Set(mentions.values.flatMap(\.users)))
        let names = Dictionary(users.map { ($0.id, $0.username) }, uniquingKeysWith: { first, _ in first })
        for message in messages {
            let found = mentions[message.id] ?? .none
            let shown = MentionsBody(usernames: found.users.compactMap { names[$0] }, room: found.room)
            if result[message.id] == nil { result[message.id] = MessageThreadBody(mentions: shown) } else { result[message.id]?.mentions = shown }
        }
        return result
    }

    private static func replyFacts(for messages: [Message], storage: any Storage) async throws -> [MessageID: MessageThreadBody] {
        guard let store = storage as? any ThreadStore, !messages.isEmpty else { return [:] }
        let info = try await store.threadInfo(for: messages.map(\.id))
        var parents: [MessageID: Message] = [:]
        for id in Set(info.values.compactMap(\.replyTo)) {
            if let parent = try await storage.message(id: id) { parents[id] = parent }
        }
        let users = try await storage.users(ids: Set(parents.values.map(\.authorID)))
        let authors = Dictionary(users.map { ($0.id, AuthorBody($0)) }, uniquingKeysWith: { first, _ in first })
        var result: [MessageID: MessageThreadBody] = [:]
        for message in messages {
            let facts = info[message.id] ?? .none
            let quote = facts.replyTo.map { id in QuoteBody(parents[id], id: id, author: parents[id].flatMap { authors[$0.authorID] }) }
            result[message.id] = MessageThreadBody(replyTo: quote, replyCount: facts.replyCount, lastReplyAt: facts.lastReplyAt)
        }
        return result
    }

    /// Edits a message; returns it as stored.
    func edit(_ access: RoomAccess, id: MessageID, body: String) async throws -> Message {
        let message = try await existing(id, in: access)
        try access.require(.editMessage(isAuthor: message.authorID == access.principal.user.id))
        let edited = try await storage.editMessage(id, body: try validated(body), at: Date())
        if let unread = storage as? any UnreadStore {
            let (mentions, _) = try await Mentions.resolve(edited.body, mayMentionRoom: Mentions.mayMentionRoom(access), storage: storage)
            try await unread.setMentions(mentions, of: id)
        }
        let thread = try await Self.threads(for: [edited], storage: storage)[edited.id]
        await bus.publish(.messageUpdated(edited, room: access.room, author: AuthorBody(access.principal.user), thread: thread))
        return edited
    }

    func delete(_ access: RoomAccess, id: MessageID) async throws {
        let message = try await existing(id, in: access)
        let isAuthor = message.authorID == access.principal.user.id
        var target: PolicyTarget?
        if !isAuthor {
            let author = try await storage.user(id: message.authorID)
            let membership = try await storage.membership(of: message.authorID, in: access.room.id)
            target = PolicyTarget(role: membership?.role, isServerAdmin: author?.isAdmin ?? false)
        }
        try access.require(.deleteMessage(isAuthor: isAuthor), on: target)
        let audit =
            isAuthor
            ? nil
            : AuditRecord(
                actorID: access.principal.user.id, action: "delete_message", targetID: message.authorID, detail: "message \(id)", createdAt: Date())
        let deleted = try await storage.deleteMessage(id, at: Date(), audit: audit)
        let author = try await authors(of: [deleted])[deleted.authorID] ?? Self.unknownAuthor
        let thread = try await Self.threads(for: [deleted], storage: storage)[deleted.id]
        await bus.publish(.messageDeleted(deleted, room: access.room, author: author, thread: thread))
        // A deleted reply no longer counts on its parent: the parent's new count goes out too.
        if let parentID = thread?.replyTo.map({ MessageID($0.id) }), let parent = try await storage.message(id: parentID) {
            await threadChanged(parent, in: access.room)
        }
    }

    /// The `message.created` events of stored messages, as their posting published them: how
    /// an instance delivers messages it missed from other instances.
    static func createdEvents(for messages: [Message], storage: any Storage) async throws -> [RoomEvent] {
        guard !messages.isEmpty else { return [] }
        var rooms: [RoomID: Room] = [:]
        for id in Set(messages.map(\.roomID)) {
            if let room = try await storage.room(id: id) { rooms[id] = room }
        }
        let users = try await storage.users(ids: Set(messages.map(\.authorID)))
        let authors = Dictionary(users.map { ($0.id, AuthorBody($0)) }, uniquingKeysWith: { first, _ in first })
        let threads = try await threads(for: messages, storage: storage)
        return try messages.compactMap { message in
            guard let room = rooms[message.roomID] else { return nil }
            return .messageCreated(
                try EncodedMessage(message, room: room, author: authors[message.authorID] ?? unknownAuthor, thread: threads[message.id]), room: room)
        }
    }

    // MARK: Helpers

    static let unknownAuthor = AuthorBody(username: "", displayName: "")

    private func existing(_ id: MessageID, in access: RoomAccess) async throws -> Message {
        try access.require(.view)
        guard let message = try await storage.message(id: id), message.roomID == access.room.id, message.deletedAt == nil else {
            throw EchoError.notFound("no such message in this room", code: "message_not_found")
        }
        return message
    }

    private func validated(_ body: String) throws -> String {
        try RoomInputs.messageBody(body, maxLength: maxBodyLength)
    }

    private func authors(of messages: [Message]) async throws -> [UserID: AuthorBody] {
        let users = try await storage.users(ids: Set(messages.map(\.authorID)))
        return Dictionary(users.map { ($0.id, AuthorBody($0)) }, uniquingKeysWith: { first, _ in first })
    }
}
