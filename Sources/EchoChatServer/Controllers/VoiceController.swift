import EchoPluginAPI
import Foundation
import Hummingbird
import NIOCore

/// Voice routes: LiveKit tokens, LiveKit's webhook, a room's voice occupancy, and voice moderation.
struct VoiceController: Sendable {
    let tokens: VoiceTokens
    let webhooks: VoiceWebhookHandler
    let moderation: VoiceModeration
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
        let minted = try await tokens.token(access, preferredSubroom: body.room == name ? nil : subroom, companions: try body.companions())
        return Response(
            status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: VoiceTokenBody(minted).json))
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
        return JSONBody.response(SubroomsBody(subrooms: try await publisher.occupancy(of: access.room)))
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
