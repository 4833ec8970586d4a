import EchoPluginAPI
import Foundation
import Hummingbird

/// `/api/rooms` and `/api/rooms/{name}`: the room list, creating, reading, changing and deleting
/// rooms, joining and leaving.
struct RoomsController {
    let rooms: RoomService
    let guards: RouteGuards
    /// Takes people out of voice when they leave the room.
    let voice: VoiceModeration?

    var endpoints: RouteCollection<EchoRequestContext> {
        let signedIn = RouteCollection(context: EchoRequestContext.self).add(middleware: guards.authenticated).add(middleware: guards.signedIn)
        signedIn.get("/api/rooms", use: list)
        signedIn.post("/api/rooms", use: create)
        let inRoom = RouteCollection(context: EchoRequestContext.self).add(middleware: guards.authenticated).add(middleware: guards.inRoom)
        inRoom.get("/api/rooms/{name}", use: show)
        inRoom.patch("/api/rooms/{name}", use: update)
        inRoom.delete("/api/rooms/{name}", use: delete)
        inRoom.post("/api/rooms/{name}/join", use: join)
        inRoom.post("/api/rooms/{name}/leave", use: leave)
        return RouteCollection(context: EchoRequestContext.self).addRoutes(signedIn).addRoutes(inRoom)
    }

    @Sendable func list(_ request: Request, context: EchoRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let listings = try await rooms.list(for: principal)
        // How many are in each room's voice: one grouped read for the whole list.
        let inVoice = try await (rooms.storage as? any VoiceChannelStore)?.voiceSeatCounts(at: Date()) ?? [:]
        // Unread counts of the rooms the caller belongs to: one read for the whole list.
        let member = listings.filter { $0.role != nil }.map(\.room.id)
        let unread = try await ReadMarkers(storage: rooms.storage, bus: rooms.bus).counts(of: principal.user.id, in: member)
        return JSONBody.response(
            RoomsBody(
                rooms: listings.map { listing in
                    var body = RoomBody(listing.room, role: listing.role, inVoice: listing.room.voice.enabled ? inVoice[listing.room.id] ?? 0 : nil)
                    body.unread = unread[listing.room.id]
                    return body
                }))
    }

    @Sendable func create(_ request: Request, context: EchoRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let body = try await JSONBody.decode(CreateRoomRequest.self, from: request)
        let name = try RoomInputs.roomName(body.name)
        let room = try await rooms.create(
            NewRoom(
                name: name, topic: try RoomInputs.topic(body.topic) ?? "", visibility: try RoomInputs.visibility(body.visibility) ?? .public,
                isReadonly: body.readonly ?? false, slowmodeSeconds: try RoomInputs.slowmode(body.slowmodeSeconds) ?? 0,
                voice: body.voice?.applied(to: VoiceSettings()) ?? VoiceSettings(), createdAt: Date()),
            by: principal)
        return JSONBody.response(RoomBody(room, role: .owner), status: .created)
    }

    @Sendable func show(_ request: Request, context: EchoRequestContext) async throws -> Response {
        let access = try context.requireRoomAccess()
        try access.require(.view)
        return JSONBody.response(RoomBody(access.room, role: access.membership?.role))
    }

    @Sendable func update(_ request: Request, context: EchoRequestContext) async throws -> Response {
        let access = try context.requireRoomAccess()
        let body = try await JSONBody.decode(UpdateRoomRequest.self, from: request)
        let update = RoomUpdate(
            topic: try RoomInputs.topic(body.topic), visibility: try RoomInputs.visibility(body.visibility), isReadonly: body.readonly,
            slowmodeSeconds: try RoomInputs.slowmode(body.slowmodeSeconds), voice: body.voice?.applied(to: access.room.voice))
        let room = try await rooms.update(access, update)
        return JSONBody.response(RoomBody(room, role: access.membership?.role))
    }

    @Sendable func delete(_ request: Request, context: EchoRequestContext) async throws -> Response {
        try await rooms.delete(try context.requireRoomAccess())
        return Response(status: .noContent)
    }

    @Sendable func join(_ request: Request, context: EchoRequestContext) async throws -> Response {
        let access = try context.requireRoomAccess()
        let membership = try await rooms.join(access)
        return JSONBody.response(
            MembershipBody(
                membership: .init(
                    room: access.room.name, user: UserBody(access.principal.user), role: membership.role.rawValue, joinedAt: membership.joinedAt)))
    }

    @Sendable func leave(_ request: Request, context: EchoRequestContext) async throws -> Response {
        let access = try context.requireRoomAccess()
        try await rooms.leave(access)
        await voice?.leaveVoice(access.principal.user, access.room)
        return Response(status: .noContent)
    }
}
