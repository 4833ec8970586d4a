import EchoPluginAPI
import Foundation
import Hummingbird
import Logging

/// `/api/rooms…`: rooms, membership, moderation, messages.
struct RoomsController {
    let accounts: AccountService
    let rooms: RoomService
    let messages: MessageService
    /// Takes people out of voice when they leave the room, are removed or banned.
    var voice: VoiceService?

    struct VoiceRequest: Decodable {
        let enabled: Bool?
        let allowVideo: Bool?
        let allowScreenShare: Bool?

        func applied(to voice: VoiceSettings) -> VoiceSettings {
            VoiceSettings(
                enabled: enabled ?? voice.enabled, allowVideo: allowVideo ?? voice.allowVideo,
                allowScreenShare: allowScreenShare ?? voice.allowScreenShare)
        }
    }

    struct CreateRoomRequest: Decodable {
        let name: String
        let topic: String?
        let visibility: String?
        let readonly: Bool?
        let slowmodeSeconds: Int?
        let voice: VoiceRequest?
    }

    struct UpdateRoomRequest: Decodable {
        let topic: String?
        let visibility: String?
        let readonly: Bool?
        let slowmodeSeconds: Int?
        let voice: VoiceRequest?
    }

    struct RoleRequest: Decodable { let role: String }
    struct UsernameRequest: Decodable { let username: String }
    struct BanRequest: Decodable {
        let username: String
        let reason: String?
    }
    struct PostRequest: Decodable {
        let body: String
        let clientId: String?
    }
    struct EditRequest: Decodable { let body: String }

    func addRoutes(to router: Router<EchoRequestContext>) {
        router.get("/api/rooms") { request, _ in
            let principal = try await principal(request)
            let listings = try await rooms.list(for: principal)
            return JSONBody.response(RoomsBody(rooms: listings.map { RoomBody($0.room, role: $0.role) }))
        }
        router.post("/api/rooms") { request, _ in
            let principal = try await principal(request)
            let body = try await JSONBody.decode(CreateRoomRequest.self, from: request)
            let name = RoomNames.normalized(body.name)
            guard RoomNames.isValid(name) else { throw APIError.badRequest(RoomNames.rule, code: "invalid_room_name") }
            let room = try await rooms.create(
                NewRoom(
                    name: name, topic: try topic(body.topic) ?? "", visibility: try visibility(body.visibility) ?? .public,
                    isReadonly: body.readonly ?? false, slowmodeSeconds: try slowmode(body.slowmodeSeconds) ?? 0,
                    voice: body.voice?.applied(to: VoiceSettings()) ?? VoiceSettings(), createdAt: Date()),
                by: principal)
            return JSONBody.response(RoomBody(room, role: .owner), status: .created)
        }
        router.get("/api/rooms/{name}") { request, context in
            let access = try await access(request, context)
            try access.require(.view)
            return JSONBody.response(RoomBody(access.room, role: access.membership?.role))
        }
        router.patch("/api/rooms/{name}") { request, context in
            let access = try await access(request, context)
            let body = try await JSONBody.decode(UpdateRoomRequest.self, from: request)
            let update = RoomUpdate(
                topic: try topic(body.topic), visibility: try visibility(body.visibility), isReadonly: body.readonly,
                slowmodeSeconds: try slowmode(body.slowmodeSeconds), voice: body.voice?.applied(to: access.room.voice))
            let room = try await rooms.update(access, update)
            return JSONBody.response(RoomBody(room, role: access.membership?.role))
        }
        router.delete("/api/rooms/{name}") { request, context in
            try await rooms.delete(try await access(request, context))
            return Response(status: .noContent)
        }
        router.post("/api/rooms/{name}/join") { request, context in
            let access = try await access(request, context)
            let membership = try await rooms.join(access)
            return JSONBody.response(
                MembershipBody(
                    membership: .init(
                        room: access.room.name, user: UserBody(access.principal.user), role: membership.role.rawValue, joinedAt: membership.joinedAt)))
        }
        router.post("/api/rooms/{name}/leave") { request, context in
            let access = try await access(request, context)
            try await rooms.leave(access)
            await leaveVoice(access.principal.user, access.room)
            return Response(status: .noContent)
        }
        router.get("/api/rooms/{name}/members") { request, context in
            let members = try await rooms.members(try await access(request, context))
            return JSONBody.response(
                MembersBody(members: members.map { MemberBody(user: UserBody($0.user), role: $0.membership.role.rawValue) }))
        }
        router.put("/api/rooms/{name}/members/{username}") { request, context in
            let access = try await access(request, context)
            let body = try await JSONBody.decode(RoleRequest.self, from: request)
            guard let role = RoomRole(rawValue: body.role) else {
                throw APIError.badRequest("role must be owner, admin, moderator or member", code: "invalid_role")
            }
            let member = try await rooms.setRole(role, of: try parameter("username", context), in: access)
            return JSONBody.response(MemberBody(user: UserBody(member.user), role: member.membership.role.rawValue))
        }
        router.delete("/api/rooms/{name}/members/{username}") { request, context in
            let access = try await access(request, context)
            let user = try await rooms.kick(try parameter("username", context), in: access)
            await leaveVoice(user, access.room)
            return Response(status: .noContent)
        }
        router.post("/api/rooms/{name}/invites") { request, context in
            let access = try await access(request, context)
            let body = try await JSONBody.decode(UsernameRequest.self, from: request)
            let user = try await rooms.invite(body.username, in: access)
            return JSONBody.response(InviteBody(invite: .init(room: access.room.name, user: UserBody(user))), status: .created)
        }
        router.get("/api/rooms/{name}/bans") { request, context in
            let access = try await access(request, context)
            let bans = try await rooms.bans(access)
            return JSONBody.response(
                BansBody(
                    bans: bans.compactMap { ban, user, by in
                        user.map {
                            BanBody(room: access.room.name, user: UserBody($0), reason: ban.reason, bannedBy: by?.username, createdAt: ban.createdAt)
                        }
                    }))
        }
        router.post("/api/rooms/{name}/bans") { request, context in
            let access = try await access(request, context)
            let body = try await JSONBody.decode(BanRequest.self, from: request)
            if let reason = body.reason, reason.count > 500 || reason.unicodeScalars.contains(where: MessageService.isRefusedControl) {
                throw APIError.badRequest("reason is at most 500 characters, with no control characters but line breaks and tabs", code: "invalid_reason")
            }
            let (user, ban) = try await rooms.ban(body.username, reason: body.reason, in: access)
            await leaveVoice(user, access.room)
            return JSONBody.response(
                BanEnvelope(
                    ban: BanBody(
                        room: access.room.name, user: UserBody(user), reason: ban.reason, bannedBy: access.principal.user.username,
                        createdAt: ban.createdAt)),
                status: .created)
        }
        router.delete("/api/rooms/{name}/bans/{username}") { request, context in
            try await rooms.unban(try parameter("username", context), in: try await access(request, context))
            return Response(status: .noContent)
        }
        router.get("/api/rooms/{name}/audit") { request, context in
            let access = try await access(request, context)
            let limit = try pageSize(request)
            let before = try int64Query(request, "before")
            let (entries, users) = try await rooms.auditLog(access, before: before, limit: limit)
            return JSONBody.response(
                AuditBody(
                    entries: entries.map {
                        AuditEntryBody(
                            id: $0.id, action: $0.action, actor: users[$0.actorID]?.username, target: $0.targetID.flatMap { users[$0]?.username },
                            detail: $0.detail, createdAt: $0.createdAt)
                    },
                    nextBefore: entries.count == limit ? entries.last?.id : nil))
        }
        router.get("/api/rooms/{name}/messages") { request, context in
            let access = try await access(request, context)
            let page = try await messages.history(
                access, before: try int64Query(request, "before").map(MessageID.init(rawValue:)), limit: try pageSize(request))
            return JSONBody.response(page)
        }
        router.post("/api/rooms/{name}/messages") { request, context in
            let access = try await access(request, context)
            let body = try await JSONBody.decode(PostRequest.self, from: request)
            let json = try await messages.post(access, body: body.body, clientID: body.clientId)
            return Response(status: .created, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: json))
        }
        router.patch("/api/rooms/{name}/messages/{id}") { request, context in
            let access = try await access(request, context)
            let body = try await JSONBody.decode(EditRequest.self, from: request)
            return JSONBody.response(try await messages.edit(access, id: try messageID(context), body: body.body))
        }
        router.delete("/api/rooms/{name}/messages/{id}") { request, context in
            try await messages.delete(try await access(request, context), id: try messageID(context))
            return Response(status: .noContent)
        }
    }

    // MARK: Request helpers

    /// Takes someone who is no longer allowed in the room out of its voice channel; a LiveKit
    /// failure is logged (their next `participant_joined` or the reconciliation removes them).
    func leaveVoice(_ user: User, _ room: Room) async {
        guard let voice else { return }
        do {
            try await voice.evict(user, from: room)
        } catch {
            voice.logger.warning("could not take a user out of voice", metadata: ["user_id": "\(user.id)", "error": "\(error)"])
        }
    }

    func principal(_ request: Request) async throws -> Principal {
        try await accounts.principal(bearer: AuthController.bearerToken(request))
    }

    func access(_ request: Request, _ context: EchoRequestContext) async throws -> RoomAccess {
        guard let name = context.parameters.get("name").flatMap(RoomNames.fromPath), RoomNames.isValid(name) else {
            _ = try await principal(request)  // not signed in is said before no such room
            throw APIError.notFound("no such room", code: "room_not_found")
        }
        return try await access(name, request)
    }

    /// The signed-in caller's access to room `name`: session and standing in one storage read.
    func access(_ name: String, _ request: Request) async throws -> RoomAccess {
        let (principal, standing) = try await accounts.principal(bearer: AuthController.bearerToken(request), standingIn: name)
        guard let standing else { throw APIError.notFound("no such room", code: "room_not_found") }
        return try rooms.access(standing, for: principal)
    }

    func parameter(_ name: String, _ context: EchoRequestContext) throws -> String {
        guard let value = context.parameters.get(name).flatMap({ $0.removingPercentEncoding }), !value.isEmpty else {
            throw APIError.badRequest("missing \(name) in the path")
        }
        return value
    }

    func messageID(_ context: EchoRequestContext) throws -> MessageID {
        guard let text = context.parameters.get("id"), let id = Int64(text), id > 0 else {
            throw APIError.notFound("no such message in this room", code: "message_not_found")
        }
        return MessageID(id)
    }

    func int64Query(_ request: Request, _ name: String) throws -> Int64? {
        guard let text = request.uri.queryParameters.get(name) else { return nil }
        guard let value = Int64(text), value > 0 else { throw APIError.badRequest("\(name) must be a positive integer") }
        return value
    }

    func pageSize(_ request: Request) throws -> Int {
        guard let text = request.uri.queryParameters.get("limit") else { return 50 }
        guard let limit = Int(text), (1...MessageService.maxPageSize).contains(limit) else {
            throw APIError.badRequest("limit must be between 1 and \(MessageService.maxPageSize)")
        }
        return limit
    }

    func topic(_ text: String?) throws -> String? {
        guard let text else { return nil }
        guard text.count <= 500, !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control && $0 != "\n" }) else {
            throw APIError.badRequest("topic is at most 500 characters without control characters", code: "invalid_topic")
        }
        return text
    }

    func visibility(_ text: String?) throws -> RoomVisibility? {
        guard let text else { return nil }
        guard let visibility = RoomVisibility(rawValue: text) else {
            throw APIError.badRequest("visibility must be \"public\" or \"private\"", code: "invalid_visibility")
        }
        return visibility
    }

    func slowmode(_ seconds: Int?) throws -> Int? {
        guard let seconds else { return nil }
        guard (0...86_400).contains(seconds) else { throw APIError.badRequest("slowmode_seconds must be between 0 and 86400") }
        return seconds
    }
}

struct InviteBody: Encodable {
    struct Inner: Encodable {
        let room: String
        let user: UserBody
    }
    let invite: Inner
}

struct BansBody: Encodable { let bans: [BanBody] }
struct BanEnvelope: Encodable { let ban: BanBody }
struct AuditBody: Encodable {
    let entries: [AuditEntryBody]
    let nextBefore: Int64?
}
