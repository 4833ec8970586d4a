import EchoPluginAPI
import Foundation
import HTTPTypes
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

    func history(_ access: RoomAccess, before: MessageID?, limit: Int) async throws -> MessagesPage {
        try access.require(.view)
        let messages = try await storage.messages(in: access.room.id, before: before, limit: limit)
        let authors = try await authors(of: messages)
        return MessagesPage(
            messages: messages.map { MessageBody($0, room: access.room.name, author: authors[$0.authorID] ?? Self.unknownAuthor) },
            nextBefore: messages.count == limit ? messages.last?.id.rawValue : nil)
    }

    /// Posts a message; returns the stored message as JSON.
    func post(_ access: RoomAccess, body: String, clientID: String?) async throws -> ByteBuffer {
        try access.require(.post)
        let body = try validated(body)
        if let clientID, !(1...128).contains(clientID.utf8.count) || clientID.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            throw APIError.badRequest("client_id must be 1–128 bytes without control characters", code: "invalid_client_id")
        }
        let user = access.principal.user
        let author = AuthorBody(user)
        // A retry gets the first message back, even inside a slowmode interval.
        if let clientID, let earlier = try await storage.message(clientID: clientID, of: user.id, in: access.room.id) {
            // The first message is gone: handing it back would show a message history no longer has.
            guard earlier.deletedAt == nil else {
                throw APIError.conflict("message_deleted", "the message sent with this client_id was deleted; send with a new client_id")
            }
            return ByteBuffer(bytes: try JSONBody.encoder.encode(MessageBody(earlier, room: access.room.name, author: author)))
        }
        let exempt = access.subject.isServerAdmin || (access.membership?.role ?? .member) >= .moderator
        let written = try await writer.append(
            MessageWriter.Post(
                message: NewMessage(roomID: access.room.id, authorID: user.id, body: body, clientID: clientID, createdAt: Date()),
                room: access.room, author: author, slowmodeSeconds: exempt ? 0 : access.room.slowmodeSeconds))
        return written.json
    }

    func edit(_ access: RoomAccess, id: MessageID, body: String) async throws -> MessageBody {
        let message = try await existing(id, in: access)
        try access.require(.editMessage(isAuthor: message.authorID == access.principal.user.id))
        let edited = try await storage.editMessage(id, body: try validated(body), at: Date())
        let payload = MessageBody(edited, room: access.room.name, author: AuthorBody(access.principal.user))
        await bus.publish(RoomEvent.make("message.updated", room: access.room, key: "message", payload: payload))
        return payload
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
        await bus.publish(
            RoomEvent.make("message.deleted", room: access.room, key: "message", payload: MessageBody(deleted, room: access.room.name, author: author)))
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
            let body = MessageBody(message, room: room.name, author: authors[message.authorID] ?? unknownAuthor)
            return RoomEvent.wrapping(
                ByteBuffer(bytes: try JSONBody.encoder.encode(body)), as: "message.created", key: "message", room: room, messageID: message.id)
        }
    }

    // MARK: Helpers

    static let unknownAuthor = AuthorBody(username: "", displayName: "")

    private func existing(_ id: MessageID, in access: RoomAccess) async throws -> Message {
        try access.require(.view)
        guard let message = try await storage.message(id: id), message.roomID == access.room.id, message.deletedAt == nil else {
            throw APIError.notFound("no such message in this room", code: "message_not_found")
        }
        return message
    }

    private func validated(_ body: String) throws -> String {
        guard !body.allSatisfy({ $0.isWhitespace }) else {
            throw APIError.badRequest("the message is empty", code: "empty_message")
        }
        guard body.unicodeScalars.count <= maxBodyLength else {
            throw APIError(.contentTooLarge, "message_too_long", "messages are at most \(maxBodyLength) characters (code points)")
        }
        guard !body.unicodeScalars.contains(where: Self.isRefusedControl) else {
            throw APIError.badRequest("messages may hold line breaks and tabs but no other control characters", code: "invalid_message")
        }
        return body
    }

    /// Control characters other than line breaks and tabs: a NUL, say, would not survive storage.
    static func isRefusedControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.generalCategory == .control && scalar != "\n" && scalar != "\r" && scalar != "\t"
    }

    private func authors(of messages: [Message]) async throws -> [UserID: AuthorBody] {
        let users = try await storage.users(ids: Set(messages.map(\.authorID)))
        return Dictionary(users.map { ($0.id, AuthorBody($0)) }, uniquingKeysWith: { first, _ in first })
    }
}
