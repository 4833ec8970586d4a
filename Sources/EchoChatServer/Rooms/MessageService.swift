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

    /// Posts a message; returns it as stored, encoded once for the answer and the room's event.
    func post(_ access: RoomAccess, body: String, clientID: String?) async throws -> EncodedMessage {
        try access.require(.post)
        let body = try validated(body)
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
            return try EncodedMessage(earlier, room: access.room, author: author)
        }
        let exempt = RoomPolicy.isExempt(access.subject, from: .slowmode)
        let written = try await writer.append(
            MessageWriter.Post(
                message: NewMessage(roomID: access.room.id, authorID: user.id, body: body, clientID: clientID, createdAt: Date()),
                room: access.room, author: author, slowmodeSeconds: exempt ? 0 : access.room.slowmodeSeconds))
        return written.encoded
    }

    /// Edits a message; returns it as stored.
    func edit(_ access: RoomAccess, id: MessageID, body: String) async throws -> Message {
        let message = try await existing(id, in: access)
        try access.require(.editMessage(isAuthor: message.authorID == access.principal.user.id))
        let edited = try await storage.editMessage(id, body: try validated(body), at: Date())
        await bus.publish(.messageUpdated(edited, room: access.room, author: AuthorBody(access.principal.user)))
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
        await bus.publish(.messageDeleted(deleted, room: access.room, author: author))
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
        return try messages.compactMap { message in
            guard let room = rooms[message.roomID] else { return nil }
            return .messageCreated(try EncodedMessage(message, room: room, author: authors[message.authorID] ?? unknownAuthor), room: room)
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
