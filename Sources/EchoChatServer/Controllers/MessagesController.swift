import EchoPluginAPI
import Hummingbird

/// `/api/rooms/{name}/messages`: history, posting, editing and deleting.
struct MessagesController {
    let messages: MessageService
    let reactions: ReactionService
    let dms: DirectMessageService
    let reads: ReadMarkers
    let guards: RouteGuards

    var endpoints: RouteCollection<EchoRequestContext> {
        let routes = RouteCollection(context: EchoRequestContext.self).add(middleware: guards.authenticated).add(middleware: guards.inRoom)
        routes.get("/api/rooms/{name}/messages", use: history)
        routes.post("/api/rooms/{name}/messages", use: post)
        routes.patch("/api/rooms/{name}/messages/{id}", use: edit)
        routes.delete("/api/rooms/{name}/messages/{id}", use: delete)
        routes.get("/api/rooms/{name}/messages/{id}/replies", use: replies)
        routes.post("/api/rooms/{name}/read", use: read)
        routes.put("/api/rooms/{name}/messages/{id}/reactions/{emoji}", use: react)
        routes.delete("/api/rooms/{name}/messages/{id}/reactions/{emoji}", use: unreact)
        return routes
    }

    @Sendable func history(_ request: Request, context: EchoRequestContext) async throws -> Response {
        let access = try context.requireRoomAccess()
        let page = try await messages.history(access, before: try request.positiveQuery("before").map(MessageID.init(rawValue:)), limit: try request.pageSize())
        let bodies = try await bodies(of: page, threads: try await MessageService.threads(for: page.messages, storage: messages.storage), access)
        return JSONBody.response(MessagesPage(messages: bodies, nextBefore: page.nextBefore?.rawValue))
    }

    /// `GET …/messages/{id}/replies?after=&limit=`: a thread, oldest first.
    @Sendable func replies(_ request: Request, context: EchoRequestContext) async throws -> Response {
        let access = try context.requireRoomAccess()
        let (page, threads) = try await messages.replies(
            access, to: try context.messageID(), after: try request.positiveQuery("after").map(MessageID.init(rawValue:)), limit: try request.pageSize())
        return JSONBody.response(RepliesPage(messages: try await bodies(of: page, threads: threads, access), nextAfter: page.nextBefore?.rawValue))
    }

    /// A page's messages as the reader sees them: reactions and threads, without the messages of
    /// users the reader blocks, and with a quote of one of theirs shown as if it were deleted.
    private func bodies(of page: MessageService.Page, threads: [MessageID: MessageThreadBody], _ access: RoomAccess) async throws -> [MessageBody] {
        let blocked = try await dms.blockedIDs(by: access.principal.user.id)
        let shown = blocked.isEmpty ? page.messages : page.messages.filter { !blocked.contains($0.authorID) }
        let hiddenNames = blocked.isEmpty ? [] : Set(try await dms.storage.users(ids: blocked).map(\.username))
        let reacted = try await reactions.reactions(on: shown, viewer: access.principal.user.id)
        return shown.map { message in
            var body = MessageBody(message, in: access.room, author: page.author(of: message), reactions: reacted[message.id] ?? [])
            body.thread = threads[message.id]
            if let quote = body.thread?.replyTo, let author = quote.author, hiddenNames.contains(author.username) {
                body.thread?.replyTo = QuoteBody(nil, id: MessageID(quote.id), author: nil)
            }
            return body
        }
    }

    @Sendable func post(_ request: Request, context: EchoRequestContext) async throws -> Response {
        let access = try context.requireRoomAccess()
        let body = try await JSONBody.decode(PostRequest.self, from: request)
        let posted = try await messages.post(
            access, body: body.body, clientID: body.clientId, replyTo: try body.replyTo.map { id in
                guard id > 0 else { throw EchoError.notFound("no such message in this room", code: "message_not_found") }
                return MessageID(id)
            })
        return Response(status: .created, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: posted.json))
    }

    @Sendable func edit(_ request: Request, context: EchoRequestContext) async throws -> Response {
        let access = try context.requireRoomAccess()
        let body = try await JSONBody.decode(EditRequest.self, from: request)
        let edited = try await messages.edit(access, id: try context.messageID(), body: body.body)
        var answer = MessageBody(edited, in: access.room, author: AuthorBody(access.principal.user))
        answer.thread = try await MessageService.threads(for: [edited], storage: messages.storage)[edited.id]
        return JSONBody.response(answer)
    }

    @Sendable func delete(_ request: Request, context: EchoRequestContext) async throws -> Response {
        try await messages.delete(try context.requireRoomAccess(), id: try context.messageID())
        return Response(status: .noContent)
    }

    /// `POST …/read {message_id}`: moves the caller's read marker forward.
    @Sendable func read(_ request: Request, context: EchoRequestContext) async throws -> Response {
        let access = try context.requireRoomAccess()
        let body = try await JSONBody.decode(ReadRequest.self, from: request)
        guard body.messageId > 0 else { throw EchoError.notFound("no such message in this room", code: "message_not_found") }
        return JSONBody.response(try await reads.markRead(access, upTo: MessageID(body.messageId)))
    }

    @Sendable func react(_ request: Request, context: EchoRequestContext) async throws -> Response {
        try await reactions.react(try context.requireRoomAccess(), to: try context.messageID(), with: try context.pathParameter("emoji"))
        return Response(status: .noContent)
    }

    @Sendable func unreact(_ request: Request, context: EchoRequestContext) async throws -> Response {
        try await reactions.unreact(try context.requireRoomAccess(), to: try context.messageID(), with: try context.pathParameter("emoji"))
        return Response(status: .noContent)
    }
}
