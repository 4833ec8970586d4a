import EchoPluginAPI
import Hummingbird

/// `/api/rooms/{name}/members|invites|bans|audit`: roles, kicks, invitations, bans, the audit log.
struct MembersController {
    let rooms: RoomService
    let guards: RouteGuards
    /// Takes people out of voice when they are kicked or banned.
    let voice: VoiceModeration?
    /// Each member's presence, where presence is on.
    var presence: PresenceBoard? = nil

    var endpoints: RouteCollection<EchoRequestContext> {
        let routes = RouteCollection(context: EchoRequestContext.self).add(middleware: guards.authenticated).add(middleware: guards.inRoom)
        routes.get("/api/rooms/{name}/members", use: members)
        routes.put("/api/rooms/{name}/members/{username}", use: setRole)
        routes.delete("/api/rooms/{name}/members/{username}", use: kick)
        routes.post("/api/rooms/{name}/invites", use: invite)
        routes.get("/api/rooms/{name}/bans", use: bans)
        routes.post("/api/rooms/{name}/bans", use: ban)
        routes.delete("/api/rooms/{name}/bans/{username}", use: unban)
        routes.get("/api/rooms/{name}/audit", use: audit)
        return routes
    }

    @Sendable func members(_ request: Request, context: EchoRequestContext) async throws -> Response {
        let members = try await rooms.members(try context.requireRoomAccess())
        let presence = self.presence?.status(of: members.map(\.user.id)) ?? [:]
        return JSONBody.response(
            MembersBody(
                members: members.map {
                    MemberBody(user: UserBody($0.user), role: $0.membership.role.rawValue, presence: self.presence == nil ? nil : (presence[$0.user.id] ?? .offline).rawValue)
                }))
    }

    @Sendable func setRole(_ request: Request, context: EchoRequestContext) async throws -> Response {
        let access = try context.requireRoomAccess()
        let body = try await JSONBody.decode(RoleRequest.self, from: request)
        let member = try await rooms.setRole(try RoomInputs.role(body.role), of: try context.pathParameter("username"), in: access)
        return JSONBody.response(MemberBody(user: UserBody(member.user), role: member.membership.role.rawValue))
    }

    @Sendable func kick(_ request: Request, context: EchoRequestContext) async throws -> Response {
        let access = try context.requireRoomAccess()
        let user = try await rooms.kick(try context.pathParameter("username"), in: access)
        await voice?.leaveVoice(user, access.room)
        return Response(status: .noContent)
    }

    @Sendable func invite(_ request: Request, context: EchoRequestContext) async throws -> Response {
        let access = try context.requireRoomAccess()
        let body = try await JSONBody.decode(UsernameRequest.self, from: request)
        let user = try await rooms.invite(body.username, in: access)
        return JSONBody.response(InviteBody(invite: .init(room: access.room.name, user: UserBody(user))), status: .created)
    }

    @Sendable func bans(_ request: Request, context: EchoRequestContext) async throws -> Response {
        let access = try context.requireRoomAccess()
        let bans = try await rooms.bans(access)
        return JSONBody.response(
            BansBody(
                bans: bans.compactMap { ban, user, by in
                    user.map { BanBody(room: access.room.name, user: UserBody($0), reason: ban.reason, bannedBy: by?.username, createdAt: ban.createdAt) }
                }))
    }

    @Sendable func ban(_ request: Request, context: EchoRequestContext) async throws -> Response {
        let access = try context.requireRoomAccess()
        let body = try await JSONBody.decode(BanRequest.self, from: request)
        let (user, ban) = try await rooms.ban(body.username, reason: try RoomInputs.banReason(body.reason), in: access)
        await voice?.leaveVoice(user, access.room)
        let banned = BanBody(
            room: access.room.name, user: UserBody(user), reason: ban.reason, bannedBy: access.principal.user.username, createdAt: ban.createdAt)
        return JSONBody.response(BanEnvelope(ban: banned), status: .created)
    }

    @Sendable func unban(_ request: Request, context: EchoRequestContext) async throws -> Response {
        try await rooms.unban(try context.pathParameter("username"), in: try context.requireRoomAccess())
        return Response(status: .noContent)
    }

    @Sendable func audit(_ request: Request, context: EchoRequestContext) async throws -> Response {
        let access = try context.requireRoomAccess()
        let limit = try request.pageSize()
        let (entries, users) = try await rooms.auditLog(access, before: try request.positiveQuery("before"), limit: limit)
        return JSONBody.response(
            AuditBody(
                entries: entries.map {
                    AuditEntryBody(
                        id: $0.id, action: $0.action, actor: users[$0.actorID]?.username, target: $0.targetID.flatMap { users[$0]?.username },
                        detail: $0.detail, createdAt: $0.createdAt)
                },
                nextBefore: entries.count == limit ? entries.last?.id : nil))
    }
}
