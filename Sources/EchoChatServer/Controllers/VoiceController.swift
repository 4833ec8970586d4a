import EchoPluginAPI
import Foundation
import Hummingbird
import NIOCore

/// Voice routes: LiveKit tokens, LiveKit's webhook, a room's voice occupancy, and voice moderation.
struct VoiceController: Sendable {
    let tokens: VoiceTokens
    let webhooks: VoiceWebhookHandler
    let moderation: VoiceModeration
    let channel: VoiceChannelModeration
    let queue: VoiceQueue
    let publisher: OccupancyPublisher
    let resolver: AccessResolver
    let guards: RouteGuards

    /// The largest webhook body accepted; LiveKit's events are a few kilobytes.
    static let maxWebhookBytes = 1 << 20

    var endpoints: RouteCollection<EchoRequestContext> {
        // Each group's middleware stays its own: the collection they are gathered in adds none.
        let routes = RouteCollection(context: EchoRequestContext.self)
        routes.post("/api/livekit/webhook", use: webhook)
        let signedIn = RouteCollection(context: EchoRequestContext.self).add(middleware: guards.authenticated)
        signedIn.post("/api/livekit/token", use: token)
        let inRoom = RouteCollection(context: EchoRequestContext.self).add(middleware: guards.authenticated).add(middleware: guards.inRoom)
        inRoom.get("/api/rooms/{name}/voice", use: occupancy)
        inRoom.post("/api/rooms/{name}/voice/kick", use: kick)
        inRoom.post("/api/rooms/{name}/voice/mute", use: mute)
        inRoom.delete("/api/rooms/{name}/voice/mutes/{username}", use: unmute)
        inRoom.get("/api/rooms/{name}/voice/mutes", use: mutes)
        inRoom.delete("/api/rooms/{name}/voice/queue", use: leaveQueue)
        inRoom.post("/api/rooms/{name}/voice/move", use: move)
        inRoom.post("/api/rooms/{name}/voice/mute_all", use: muteAll)
        inRoom.post("/api/rooms/{name}/voice/bans", use: ban)
        inRoom.get("/api/rooms/{name}/voice/bans", use: bans)
        inRoom.delete("/api/rooms/{name}/voice/bans/{username}", use: liftBan)
        return routes.addRoutes(signedIn).addRoutes(inRoom)
    }

    /// The room is named in the body (`Lobby`, or `Lobby(2)` for a sub-room), so its access is
    /// resolved here rather than by the room middleware.
    @Sendable func token(_ request: Request, context: EchoRequestContext) async throws -> Response {
        let claims = try context.requireClaims()
        let body = try await JSONBody.decode(TokenRequest.self, from: request)
        guard body.room.count <= 100, let (name, subroom) = LiveKitRoomNames.split(body.room), RoomNames.isValid(name) else {
            _ = try await resolver.principal(claims)  // not signed in is said before no such room
            throw EchoError.roomNotFound
        }
        let access = try await resolver.access(claims, room: name)
        let outcome = try await tokens.token(
            access, preferredSubroom: body.room == name ? nil : subroom, companions: try body.companions(), queue: body.queue ?? false)
        switch outcome {
        case .minted(let minted):
            return Response(
                status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: VoiceTokenBody(minted).json))
        case .queued(let position):
            return JSONBody.response(QueuedBody(queued: true, position: position), status: .accepted)
        }
    }

    @Sendable func webhook(_ request: Request, context: EchoRequestContext) async throws -> Response {
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: Self.maxWebhookBytes)
        } catch is NIOTooManyBytesError {
            throw APIError(.contentTooLarge, "payload_too_large", "a webhook body must be at most 1 MiB")
        }
        try await webhooks.receive(authorization: request.headers[.authorization], body: body)
        return JSONBody.response(["status": "ok"])
    }

    @Sendable func occupancy(_ request: Request, context: EchoRequestContext) async throws -> Response {
        let access = try context.requireRoomAccess()
        try access.require(.view)
        let roster = try await publisher.occupancy(of: access.room)
        return JSONBody.response(
            SubroomsBody(
                subrooms: roster.subrooms, queueLength: roster.queue.count, myQueuePosition: roster.position(of: access.principal.user.id)))
    }

    @Sendable func leaveQueue(_ request: Request, context: EchoRequestContext) async throws -> Response {
        let access = try context.requireRoomAccess()
        try await queue.leave(access.principal.user.id, access.room)
        return Response(status: .noContent)
    }

    @Sendable func move(_ request: Request, context: EchoRequestContext) async throws -> Response {
        let access = try context.requireRoomAccess()
        let body = try await JSONBody.decode(VoiceMoveRequest.self, from: request)
        try await channel.move(body.username, to: body.subroom, in: access)
        return Response(status: .noContent)
    }

    @Sendable func muteAll(_ request: Request, context: EchoRequestContext) async throws -> Response {
        let access = try context.requireRoomAccess()
        let body = try await JSONBody.decode(VoiceSubroomRequest.self, from: request)
        return JSONBody.response(["muted": try await channel.muteAll(subroom: body.subroom, in: access)])
    }

    @Sendable func ban(_ request: Request, context: EchoRequestContext) async throws -> Response {
        let access = try context.requireRoomAccess()
        let body = try await JSONBody.decode(VoiceBanRequest.self, from: request)
        let ban = try await channel.ban(body.username, reason: try body.trimmedReason(), until: try body.until(), in: access)
        return JSONBody.response(ban, status: .created)
    }

    @Sendable func bans(_ request: Request, context: EchoRequestContext) async throws -> Response {
        JSONBody.response(["bans": try await channel.bans(in: try context.requireRoomAccess())])
    }

    @Sendable func liftBan(_ request: Request, context: EchoRequestContext) async throws -> Response {
        try await channel.liftBan(try context.pathParameter("username"), in: try context.requireRoomAccess())
        return Response(status: .noContent)
    }

    @Sendable func mutes(_ request: Request, context: EchoRequestContext) async throws -> Response {
        JSONBody.response(["mutes": try await channel.mutes(in: try context.requireRoomAccess())])
    }

    @Sendable func kick(_ request: Request, context: EchoRequestContext) async throws -> Response {
        let access = try context.requireRoomAccess()
        let body = try await JSONBody.decode(UsernameRequest.self, from: request)
        try await moderation.kick(body.username, in: access)
        return Response(status: .noContent)
    }

    @Sendable func mute(_ request: Request, context: EchoRequestContext) async throws -> Response {
        let access = try context.requireRoomAccess()
        let body = try await JSONBody.decode(VoiceMuteRequest.self, from: request)
        try await moderation.mute(body.username, until: try body.until(), in: access)
        return Response(status: .noContent)
    }

    @Sendable func unmute(_ request: Request, context: EchoRequestContext) async throws -> Response {
        try await moderation.unmute(try context.pathParameter("username"), in: try context.requireRoomAccess())
        return Response(status: .noContent)
    }
}
