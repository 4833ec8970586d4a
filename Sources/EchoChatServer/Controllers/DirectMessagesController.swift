import EchoPluginAPI
import Foundation
import Hummingbird

/// `/api/dms`, `/api/me/blocks` and `PATCH /api/me`: direct conversations, blocks and the
/// direct-message policy. A conversation's messages answer on the same handlers as a room's.
struct DirectMessagesController {
    let dms: DirectMessageService
    let messages: MessagesController
    let guards: RouteGuards

    var endpoints: RouteCollection<EchoRequestContext> {
        let routes = RouteCollection(context: EchoRequestContext.self)
        let signedIn = routes.group().add(middleware: guards.authenticated).add(middleware: guards.signedIn)
        signedIn.post("/api/dms", use: open)
        signedIn.get("/api/dms", use: list)
        signedIn.patch("/api/me", use: updateMe)
        signedIn.get("/api/me/blocks", use: blocks)
        signedIn.put("/api/me/blocks/{username}", use: block)
        signedIn.delete("/api/me/blocks/{username}", use: unblock)
        let inConversation = routes.group().add(middleware: guards.authenticated).add(middleware: DirectAccessMiddleware(resolver: guards.resolver, dms: dms))
        inConversation.get("/api/dms/{dm}", use: show)
        inConversation.post("/api/dms/{dm}/members", use: addMember)
        inConversation.post("/api/dms/{dm}/leave", use: leave)
        inConversation.get("/api/dms/{dm}/messages", use: messages.history)
        inConversation.post("/api/dms/{dm}/messages", use: post)
        inConversation.patch("/api/dms/{dm}/messages/{id}", use: gated(messages.edit))
        inConversation.delete("/api/dms/{dm}/messages/{id}", use: messages.delete)
        inConversation.get("/api/dms/{dm}/messages/{id}/replies", use: messages.replies)
        inConversation.post("/api/dms/{dm}/read", use: messages.read)
        inConversation.put("/api/dms/{dm}/messages/{id}/reactions/{emoji}", use: gated(messages.react))
        inConversation.delete("/api/dms/{dm}/messages/{id}/reactions/{emoji}", use: gated(messages.unreact))
        return routes
    }

    @Sendable func open(_ request: Request, context: EchoRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let body = try await JSONBody.decode(OpenDirectRequest.self, from: request)
        guard body.users.count <= 256 else { throw EchoError.invalid("users names at most 256 users", code: "invalid_users") }
        let (conversation, created) = try await dms.open(body.users, name: try body.name.map(Self.groupName), by: principal)
        return JSONBody.response(try await self.body(of: conversation, for: principal.user.id), status: created ? .created : .ok)
    }

    @Sendable func list(_ request: Request, context: EchoRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let conversations = try await dms.list(for: principal)
        return JSONBody.response(DirectConversationsBody(dms: try await bodies(of: conversations, for: principal.user.id)))
    }

    @Sendable func show(_ request: Request, context: EchoRequestContext) async throws -> Response {
        let access = try context.requireRoomAccess()
        return JSONBody.response(try await body(of: try await dms.conversation(access.room.id, for: access.principal), for: access.principal.user.id))
    }

    @Sendable func addMember(_ request: Request, context: EchoRequestContext) async throws -> Response {
        let access = try context.requireRoomAccess()
        let body = try await JSONBody.decode(DirectMemberRequest.self, from: request)
        _ = try await dms.add(body.username, to: access)
        return JSONBody.response(try await self.body(of: try await dms.conversation(access.room.id, for: access.principal), for: access.principal.user.id))
    }

    @Sendable func leave(_ request: Request, context: EchoRequestContext) async throws -> Response {
        try await dms.leave(try context.requireRoomAccess())
        return Response(status: .noContent)
    }

    /// Posting checks, beyond a room's, that the other member of a one-to-one conversation still takes the sender's messages.
    @Sendable func post(_ request: Request, context: EchoRequestContext) async throws -> Response {
        try await dms.requireMayPost(try context.requireRoomAccess())
        return try await messages.post(request, context: context)
    }

    /// A handler that, like posting, is refused in a one-to-one conversation with a block between its members:
    /// a blocked person reaches the other through no edit and no reaction either.
    private func gated(
        _ handler: @escaping @Sendable (Request, EchoRequestContext) async throws -> Response
    ) -> @Sendable (Request, EchoRequestContext) async throws -> Response {
        { [dms] request, context in
            try await dms.requireMayPost(try context.requireRoomAccess())
            return try await handler(request, context)
        }
    }

    @Sendable func updateMe(_ request: Request, context: EchoRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let body = try await JSONBody.decode(UpdateMeRequest.self, from: request)
        if let policy = body.dmPolicy { try await dms.setPolicy(policy, for: principal) }
        return JSONBody.response(MeBody(user: UserBody(principal.user), dmPolicy: try await dms.policy(of: principal)))
    }

    @Sendable func blocks(_ request: Request, context: EchoRequestContext) async throws -> Response {
        let blocks = try await dms.blocks(of: try context.requirePrincipal().user.id)
        return JSONBody.response(BlocksBody(blocks: blocks.map { BlocksBody.Entry(user: AuthorBody($0.0), blockedAt: $0.1) }))
    }

    @Sendable func block(_ request: Request, context: EchoRequestContext) async throws -> Response {
        try await dms.block(try context.pathParameter("username"), by: try context.requirePrincipal())
        return Response(status: .noContent)
    }

    @Sendable func unblock(_ request: Request, context: EchoRequestContext) async throws -> Response {
        try await dms.unblock(try context.pathParameter("username"), by: try context.requirePrincipal())
        return Response(status: .noContent)
    }

    // MARK: Helpers

    /// A group's name: 1–80 characters (code points) without control characters, trimmed; a
    /// blank one asks for a group without a name (`""` rather than `nil`, so it stays a group).
    static func groupName(_ raw: String) throws -> String {
        guard (1...80).contains(raw.unicodeScalars.count), !raw.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw EchoError.invalid("name is 1–80 characters without control characters", code: "invalid_name")
        }
        return raw.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private func body(of conversation: DirectConversation, for viewer: UserID) async throws -> DirectConversationBody {
        try await bodies(of: [conversation], for: viewer)[0]
    }

    private func bodies(of conversations: [DirectConversation], for viewer: UserID) async throws -> [DirectConversationBody] {
        let counts = try await messages.reads.counts(of: viewer, in: conversations.map(\.id))
        let blocked = try await dms.blockedIDs(by: viewer)
        var conversations = conversations
        for index in conversations.indices where conversations[index].lastMessage.map({ blocked.contains($0.authorID) }) == true {
            // The newest message the viewer sees: a blocked author's are not shown to them.
            let recent = try await dms.storage.messages(in: conversations[index].id, before: nil, limit: 50)
            conversations[index].lastMessage = recent.first { !blocked.contains($0.authorID) }
        }
        let ids = Set(conversations.flatMap { $0.memberIDs + ($0.lastMessage.map { [$0.authorID] } ?? []) })
        let users = try await dms.storage.users(ids: ids)
        let authors = Dictionary(users.map { ($0.id, AuthorBody($0)) }, uniquingKeysWith: { first, _ in first })
        return conversations.map { conversation in
            let last = conversation.lastMessage.map { message in
                MessageBody(message, in: conversation.room, author: authors[message.authorID] ?? MessageService.unknownAuthor)
            }
            var body = DirectConversationBody(conversation, users: users, lastMessage: last)
            body.unreadCount = counts[conversation.id]?.unread
            body.mentionCount = counts[conversation.id]?.mentions
            return body
        }
    }
}

/// Puts the caller's access to the `{dm}` conversation in the context, as a room's access:
/// anyone but a member is told there is no such conversation.
struct DirectAccessMiddleware: RouterMiddleware {
    typealias Context = EchoRequestContext
    let resolver: AccessResolver
    let dms: DirectMessageService

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let principal = try await resolver.principal(try context.requireClaims())
        guard let text = context.parameters.get("dm"), let id = Int64(text), id > 0 else { throw DirectMessageService.notFound }
        let access = try await dms.access(RoomID(id), for: principal)
        context.principal = principal
        context.roomAccess = access
        return try await next(request, context)
    }
}
