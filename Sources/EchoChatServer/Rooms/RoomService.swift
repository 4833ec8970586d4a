import EchoPluginAPI
import Foundation
import Logging

/// Rooms, memberships and moderation: every operation checks the policy, goes through storage,
/// and publishes what changed.
struct RoomService: Sendable {
    let storage: any Storage
    let bus: any EventBus
    let logger: Logger

    /// Where deletions are recorded: the room's own log goes with the room.
    var audit: ServerAudit { ServerAudit(storage: storage, logger: logger) }

    // MARK: Lookup

    /// The target user of a moderation action, with their standing in the room.
    func target(_ username: String, in access: RoomAccess) async throws -> (User, PolicyTarget) {
        guard let canonical = Usernames.canonical(username), let user = try await storage.user(named: canonical) else {
            throw EchoError.notFound("no such user", code: "user_not_found")
        }
        let membership = try await storage.membership(of: user.id, in: access.room.id)
        return (user, PolicyTarget(role: membership?.role, isServerAdmin: user.isAdmin, isSelf: user.id == access.principal.user.id))
    }

    // MARK: Rooms

    func list(for principal: Principal) async throws -> [RoomListing] {
        principal.user.isAdmin ? try await storage.allRooms(for: principal.user.id) : try await storage.rooms(visibleTo: principal.user.id)
    }

    func create(_ room: NewRoom, by principal: Principal) async throws -> Room {
        do {
            let created = try await storage.createRoom(room, owner: principal.user.id)
            logger.info("room created", metadata: ["room": "\(created.name)", "user_id": "\(principal.user.id)"])
            // Subscribes the creator's open sockets to the new room.
            await publishMember("member.joined", created, principal.user, .owner, membership: .joined(principal.user.id))
            return created
        } catch let error as StorageError where error.isConflict {
            throw EchoError.conflict("room_exists", "a room with that name exists")
        }
    }

    func update(_ access: RoomAccess, _ update: RoomUpdate) async throws -> Room {
        try access.require(.updateSettings)
        let room = try await storage.updateRoom(access.room.id, update, audit: audit(access, "update_room", detail: describe(update)))
        await bus.publish(.roomUpdated(room))
        return room
    }

    func delete(_ access: RoomAccess) async throws {
        try access.require(.deleteRoom)
        let members = try await storage.members(of: access.room.id)
        try await storage.deleteRoom(access.room.id)
        // The room's audit log goes with it; the server's keeps the deletion.
        await audit.record(
            actor: access.principal.user.username, action: "room.deleted",
            details: ["room": access.room.name, "room_id": String(access.room.id.rawValue), "members": String(members.count)])
        for member in members {
            await bus.publish(.member("member.left", room: access.room, user: member.user, role: member.membership.role, membership: .left(member.user.id)))
        }
    }

    // MARK: Membership

    func join(_ access: RoomAccess) async throws -> Membership {
        try access.require(.join)
        if let membership = access.membership { return membership }
        let membership: Membership
        do {
            membership = try await storage.addMember(
                Membership(roomID: access.room.id, userID: access.principal.user.id, role: .member, joinedAt: Date()))
        } catch let error as StorageError where error.isConflict {
            throw EchoError.forbidden("banned", "you are banned from this room")  // banned a moment ago
        }
        await ReadMarkers.markAllRead(access.principal.user.id, in: access.room.id, storage: storage, logger: logger)
        await publishMember("member.joined", access.room, access.principal.user, membership.role, membership: .joined(access.principal.user.id))
        return membership
    }

    func leave(_ access: RoomAccess) async throws {
        try access.require(.leave)
        let user = access.principal.user
        if try await storage.removeMember(user.id, from: access.room.id, audit: nil) {
            await publishMember("member.left", access.room, user, access.membership?.role ?? .member, membership: .left(user.id))
        }
    }

    func members(_ access: RoomAccess) async throws -> [RoomMember] {
        try access.require(.view)
        return try await storage.members(of: access.room.id)
    }

    /// Changes a member's role; `owner` transfers ownership (the current owner becomes admin).
    func setRole(_ role: RoomRole, of username: String, in access: RoomAccess) async throws -> RoomMember {
        try access.requireRole(.admin)
        let (user, target) = try await target(username, in: access)
        let now = Date()
        if role == .owner {
            try access.require(.transferOwnership, on: target)
            let previous = access.principal.user
            try await storage.transferOwnership(
                of: access.room.id, from: previous.id, to: user.id, audit: audit(access, "transfer_ownership", target: user.id, at: now))
            if access.membership?.role == .owner {
                await publishMember("member.role_changed", access.room, previous, .admin)
            }
        } else {
            try access.require(.setRole(role), on: target)
            _ = try await storage.setRole(role, of: user.id, in: access.room.id, audit: audit(access, "set_role", target: user.id, detail: role.rawValue, at: now))
        }
        await publishMember("member.role_changed", access.room, user, role)
        return RoomMember(user: user, membership: Membership(roomID: access.room.id, userID: user.id, role: role, joinedAt: now))
    }

    func invite(_ username: String, in access: RoomAccess) async throws -> User {
        try access.requireRole(.moderator)
        let (user, target) = try await target(username, in: access)
        try access.require(.invite)
        if try await storage.ban(of: user.id, in: access.room.id) != nil {
            throw EchoError.conflict("user_banned", "that user is banned from this room; lift the ban first")
        }
        if target.role == nil {
            try await storage.invite(user.id, to: access.room.id, by: access.principal.user.id, at: Date(), audit: audit(access, "invite", target: user.id))
        }
        return user
    }

    @discardableResult
    func kick(_ username: String, in access: RoomAccess) async throws -> User {
        try access.requireRole(.moderator)
        let (user, target) = try await target(username, in: access)
        try access.require(.kick, on: target)
        if try await storage.removeMember(user.id, from: access.room.id, audit: audit(access, "kick", target: user.id)) {
            await publishMember("member.left", access.room, user, target.role ?? .member, membership: .left(user.id))
        }
        return user
    }

    func ban(_ username: String, reason: String?, in access: RoomAccess) async throws -> (User, RoomBan) {
        try access.requireRole(.moderator)
        let (user, target) = try await target(username, in: access)
        try access.require(.ban, on: target)
        let ban = RoomBan(roomID: access.room.id, userID: user.id, bannedBy: access.principal.user.id, reason: reason, createdAt: Date())
        try await storage.ban(ban, audit: audit(access, "ban", target: user.id, detail: reason))
        logger.info("user banned", metadata: ["room": "\(access.room.name)", "user_id": "\(user.id)", "by": "\(access.principal.user.id)"])
        // Sent to the room including the banned user's sockets, which then stop receiving it.
        await publishMember("member.left", access.room, user, target.role ?? .member, membership: .left(user.id))
        return (user, ban)
    }

    func unban(_ username: String, in access: RoomAccess) async throws {
        try access.requireRole(.moderator)
        let (user, _) = try await target(username, in: access)
        try access.require(.unban)
        guard try await storage.unban(user.id, in: access.room.id, audit: audit(access, "unban", target: user.id)) else {
            throw EchoError.notFound("that user is not banned here", code: "ban_not_found")
        }
    }

    func bans(_ access: RoomAccess) async throws -> [(RoomBan, User?, User?)] {
        try access.require(.listBans)
        let bans = try await storage.bans(in: access.room.id)
        let users = try await usersByID(Set(bans.flatMap { [$0.userID, $0.bannedBy] }))
        return bans.map { ($0, users[$0.userID], users[$0.bannedBy]) }
    }

    func auditLog(_ access: RoomAccess, before: Int64?, limit: Int) async throws -> ([AuditEntry], [UserID: User]) {
        try access.require(.readAudit)
        let entries = try await storage.auditLog(of: access.room.id, before: before, limit: limit)
        let users = try await usersByID(Set(entries.flatMap { [$0.actorID] + ($0.targetID.map { [$0] } ?? []) }))
        return (entries, users)
    }

    func usersByID(_ ids: Set<UserID>) async throws -> [UserID: User] {
        Dictionary(try await storage.users(ids: ids).map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    }

    // MARK: Helpers

    func publishMember(
        _ type: String, _ room: Room, _ user: User, _ role: RoomRole, membership: RoomEvent.MembershipChange? = nil
    ) async {
        await bus.publish(.member(type, room: room, user: user, role: role, membership: membership))
    }

    private func audit(_ access: RoomAccess, _ action: String, target: UserID? = nil, detail: String? = nil, at date: Date = Date()) -> AuditRecord {
        AuditRecord(actorID: access.principal.user.id, action: action, targetID: target, detail: detail, createdAt: date)
    }

    private func describe(_ update: RoomUpdate) -> String {
        var parts: [String] = []
        if update.topic != nil { parts.append("topic") }
        if let visibility = update.visibility { parts.append("visibility=\(visibility.rawValue)") }
        if let readonly = update.isReadonly { parts.append("readonly=\(readonly)") }
        if let slowmode = update.slowmodeSeconds { parts.append("slowmode_seconds=\(slowmode)") }
        if update.voice != nil { parts.append("voice") }
        return parts.joined(separator: ", ")
    }
}
