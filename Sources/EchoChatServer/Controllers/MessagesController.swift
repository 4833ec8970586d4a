import EchoPluginAPI
import Hummingbird

/// `/api/rooms/{name}/messages`: history, posting, editing and deleting.
struct MessagesController {
    let messages: MessageService
    let reactions: ReactionService
    let guards: RouteGuards

    var endpoints: RouteCollection<EchoRequestContext> {
        let routes = RouteCollection(context: EchoRequestContext.self).add(middleware: guards.authenticated).add(middleware: guards.inRoom)
        routes.get("/api/rooms/{name}/messages", use: history)
        routes.post("/api/rooms/{name}/messages", use: post)
        routes.patch("/api/rooms/{name}/messages/{id}", use: edit)
        routes.delete("/api/rooms/{name}/messages/{id}", use: delete)
        routes.put("/api/rooms/{name}/messages/{id}/reactions/{emoji}", use: react)
        routes.delete("/api/rooms/{name}/messages/{id}/reactions/{emoji}", use: unreact)
        return routes
    }

    @Sendable func history(_ request: Request, context: EchoRequestContext) async throws -> Response {
        let access = try context.requireRoomAccess()
        let page = try await messages.history(access, before: try request.positiveQuery("before").map(MessageID.init(rawValue:)), limit: try request.pageSize())
        let reacted = try await reactions.reactions(on: page.messages, viewer: access.principal.user.id)
        return JSONBody.response(
            MessagesPage(
                messages: page.messages.map { MessageBody($0, room: access.room.name, author: page.author(of: $0), reactions: reacted[$0.id] ?? []) },
                nextBefore: page.nextBefore?.rawValue))
    }

    @Sendable func post(_ request: Request, context: EchoRequestContext) async throws -> Response {
        let access = try context.requireRoomAccess()
        let body = try await JSONBody.decode(PostRequest.self, from: request)
        let posted = try await messages.post(access, body: body.body, clientID: body.clientId)
        return Response(status: .created, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: posted.json))
    }

    @Sendable func edit(_ request: Request, context: EchoRequestContext) async throws -> Response {
        let access = try context.requireRoomAccess()
        let body = try await JSONBody.decode(EditRequest.self, from: request)
        let edited = try await messages.edit(access, id: try context.messageID(), body: body.body)
        return JSONBody.response(MessageBody(edited, room: access.room.name, author: AuthorBody(access.principal.user)))
    }

    @Sendable func delete(_ request: Request, context: EchoRequestContext) async throws -> Response {
        try await messages.delete(try context.requireRoomAccess(), id: try context.messageID())
        return Response(status: .noContent)
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
