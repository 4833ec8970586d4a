public import EchoPluginAPI
public import Foundation
import GRDB

extension SQLiteStorage {
    public func createRoom(_ room: NewRoom, owner: UserID) async throws -> Room {
        try await perform { db in
            let created = room.createdAt.storageMilliseconds
            try db.run(
                """
                INSERT INTO rooms (name, name_key, topic, visibility, is_readonly, slowmode_seconds,
                    voice_enabled, voice_allow_video, voice_allow_screen_share, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    room.name, room.name.lowercased(), room.topic, room.visibility.rawValue, room.isReadonly, room.slowmodeSeconds,
                    room.voice.enabled, room.voice.allowVideo, room.voice.allowScreenShare, created,
                ])
            let id = db.lastInsertedRowID
            try db.run(
                "INSERT INTO memberships (room_id, user_id, role, joined_at) VALUES (?, ?, ?, ?)",
                [id, owner.rawValue, RoomRole.owner.rawValue, created])
            return try Self.fetchRoom(id: id, in: db)!
        }
    }

    public func room(named name: String) async throws -> Room? {
        try await read { db in
            try db.row("SELECT * FROM rooms WHERE name_key = ?", [name.lowercased()]).map(Room.init(row:))
        }
    }

    public func roomStanding(named name: String, of userID: UserID, at now: Date) async throws -> RoomStanding? {
        try await read { db in try Self.fetchStanding(named: name, of: userID, at: now, db) }
    }

    public func sessionAndStanding(session: SessionID, user: UserID, room: String, at now: Date) async throws -> SessionAndStanding {
        try await read { db in
            SessionAndStanding(session: try Self.fetchSessionWithUser(session, db), standing: try Self.fetchStanding(named: room, of: user, at: now, db))
        }
    }

    static func fetchStanding(named name: String, of userID: UserID, at now: Date, _ db: Database) throws -> RoomStanding? {
        guard let room = try db.row("SELECT * FROM rooms WHERE name_key = ?", [name.lowercased()]).map(Room.init(row:)) else {
            return nil
        }
        let counts = try db.row(
            """
            SELECT EXISTS (SELECT 1 FROM bans WHERE room_id = :room AND user_id = :user) AS banned,
                EXISTS (SELECT 1 FROM invites WHERE room_id = :room AND user_id = :user) AS invited,
                (SELECT count(*) FROM memberships WHERE room_id = :room AND role = 'owner') AS owners
            """, ["room": room.id.rawValue, "user": userID.rawValue])
        return RoomStanding(
            room: room, membership: try fetchMembership(userID, room.id, db), isBanned: counts?["banned"] ?? false,
            hasInvite: counts?["invited"] ?? false, ownerCount: counts?["owners"] ?? 0,
            voiceRestrictions: try restrictions(of: userID, in: room.id, at: now, db))
    }

    public func room(id: RoomID) async throws -> Room? {
        try await read { db in try Self.fetchRoom(id: id.rawValue, in: db) }
    }

    public func rooms(visibleTo userID: UserID) async throws -> [RoomListing] {
        try await read { db in
            try db.rows(
                """
                SELECT r.*, m.role AS my_role FROM rooms r
                LEFT JOIN memberships m ON m.room_id = r.id AND m.user_id = ?
                WHERE (r.visibility = 'public' OR m.user_id IS NOT NULL) AND r.name_key NOT GLOB 'DM:*'
                ORDER BY r.name_key
                """, [userID.rawValue]
            ).map { RoomListing(room: Room(row: $0), role: ($0["my_role"] as String?).flatMap(RoomRole.init(rawValue:))) }
        }
    }

    public func allRooms(for userID: UserID) async throws -> [RoomListing] {
        try await read { db in
            try db.rows(
                """
                SELECT r.*, m.role AS my_role FROM rooms r
                LEFT JOIN memberships m ON m.room_id = r.id AND m.user_id = ?
                WHERE r.name_key NOT GLOB 'DM:*'
                ORDER BY r.name_key
                """, [userID.rawValue]
            ).map { RoomListing(room: Room(row: $0), role: ($0["my_role"] as String?).flatMap(RoomRole.init(rawValue:))) }
        }
    }

    public func updateRoom(_ id: RoomID, _ update: RoomUpdate, audit: AuditRecord?) async throws -> Room {
        try await perform { db in
            var assignments: [String] = []
            var arguments: [any DatabaseValueConvertible] = []
            func set(_ column: String, _ value: (any DatabaseValueConvertible)?) {
                guard let value else { return }
                assignments.append("\(column) = ?")
                arguments.append(value)
            }
            set("topic", update.topic)
            set("visibility", update.visibility?.rawValue)
            set("is_readonly", update.isReadonly)
            set("slowmode_seconds", update.slowmodeSeconds)
            set("voice_enabled", update.voice?.enabled)
            set("voice_allow_video", update.voice?.allowVideo)
            set("voice_allow_screen_share", update.voice?.allowScreenShare)
            if !assignments.isEmpty {
                try db.execute(
                    sql: "UPDATE rooms SET \(assignments.joined(separator: ", ")) WHERE id = ?",
                    arguments: StatementArguments(arguments + [id.rawValue]))
            }
            guard let room = try Self.fetchRoom(id: id.rawValue, in: db) else { throw StorageError.notFound("no room with id \(id)") }
            try Self.record(audit, in: id, db)
            return room
        }
    }

    public func deleteRoom(_ id: RoomID) async throws {
        try await perform { db in
            try db.run("DELETE FROM rooms WHERE id = ?", [id.rawValue])
            guard db.changesCount > 0 else { throw StorageError.notFound("no room with id \(id)") }
        }
    }

    public func membership(of userID: UserID, in roomID: RoomID) async throws -> Membership? {
        try await read { db in try Self.fetchMembership(userID, roomID, db) }
    }

    public func members(of roomID: RoomID) async throws -> [RoomMember] {
        try await read { db in
            try db.rows(
                """
                SELECT u.*, m.role AS member_role, m.joined_at AS member_joined_at FROM memberships m
                JOIN users u ON u.id = m.user_id WHERE m.room_id = ?
                ORDER BY CASE m.role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 WHEN 'moderator' THEN 2 ELSE 3 END, u.username
                """, [roomID.rawValue]
            ).map { row in
                let user = User(row: row)
                return RoomMember(
                    user: user,
                    membership: Membership(
                        roomID: roomID, userID: user.id, role: RoomRole(rawValue: row["member_role"]) ?? .member,
                        joinedAt: Date(storageMilliseconds: row["member_joined_at"])))
            }
        }
    }

    public func memberCount(of roomID: RoomID, role: RoomRole) async throws -> Int {
        try await read { db in
            try Int.fetchOne(
                db, sql: "SELECT count(*) FROM memberships WHERE room_id = ? AND role = ?", arguments: [roomID.rawValue, role.rawValue])
                ?? 0
        }
    }

    public func roomIDs(of userID: UserID) async throws -> [RoomID] {
        try await read { db in
            try Int64.fetchAll(db, sql: "SELECT room_id FROM memberships WHERE user_id = ? ORDER BY room_id", arguments: [userID.rawValue])
                .map(RoomID.init(rawValue:))
        }
    }

    public func addMember(_ membership: Membership) async throws -> Membership {
        try await perform { db in
            let room = membership.roomID.rawValue
            let user = membership.userID.rawValue
            // The ban check and the insert are one statement, so a ban committed a moment earlier wins.
            try db.run(
                """
                INSERT INTO memberships (room_id, user_id, role, joined_at)
                SELECT ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM bans WHERE room_id = ? AND user_id = ?)
                ON CONFLICT DO NOTHING
                """,
                [room, user, membership.role.rawValue, membership.joinedAt.storageMilliseconds, room, user])
            guard let stored = try Self.fetchMembership(membership.userID, membership.roomID, db) else {
                throw StorageError.conflict("user \(membership.userID) is banned from room \(membership.roomID)")
            }
            try db.run("DELETE FROM invites WHERE room_id = ? AND user_id = ?", [room, user])
            return stored
        }
    }

    public func setRole(_ role: RoomRole, of userID: UserID, in roomID: RoomID, audit: AuditRecord?) async throws -> Membership {
        try await perform { db in
            try db.run(
                "UPDATE memberships SET role = ? WHERE room_id = ? AND user_id = ?", [role.rawValue, roomID.rawValue, userID.rawValue])
            guard let membership = try Self.fetchMembership(userID, roomID, db) else {
                throw StorageError.notFound("user \(userID) is not a member of room \(roomID)")
            }
            try Self.record(audit, in: roomID, db)
            return membership
        }
    }

    public func transferOwnership(of roomID: RoomID, from previousOwner: UserID, to newOwner: UserID, audit: AuditRecord?) async throws {
        try await perform { db in
            guard try Self.fetchMembership(newOwner, roomID, db) != nil else {
                throw StorageError.notFound("user \(newOwner) is not a member of room \(roomID)")
            }
            try db.run("UPDATE memberships SET role = 'owner' WHERE room_id = ? AND user_id = ?", [roomID.rawValue, newOwner.rawValue])
            try db.run(
                "UPDATE memberships SET role = 'admin' WHERE room_id = ? AND user_id = ?", [roomID.rawValue, previousOwner.rawValue])
            try Self.record(audit, in: roomID, db)
        }
    }

    public func removeMember(_ userID: UserID, from roomID: RoomID, audit: AuditRecord?) async throws -> Bool {
        try await perform { db in
            try db.run("DELETE FROM memberships WHERE room_id = ? AND user_id = ?", [roomID.rawValue, userID.rawValue])
            let removed = db.changesCount > 0
            if removed { try Self.record(audit, in: roomID, db) }
            return removed
        }
    }

    public func invite(_ userID: UserID, to roomID: RoomID, by inviter: UserID, at date: Date, audit: AuditRecord?) async throws {
        try await perform { db in
            try db.run(
                "INSERT INTO invites (room_id, user_id, invited_by, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [roomID.rawValue, userID.rawValue, inviter.rawValue, date.storageMilliseconds])
            try Self.record(audit, in: roomID, db)
        }
    }

    public func hasInvite(_ userID: UserID, to roomID: RoomID) async throws -> Bool {
        try await read { db in
            try Bool.fetchOne(
                db, sql: "SELECT EXISTS (SELECT 1 FROM invites WHERE room_id = ? AND user_id = ?)",
                arguments: [roomID.rawValue, userID.rawValue]
            ) ?? false
        }
    }

    public func ban(_ ban: RoomBan, audit: AuditRecord?) async throws {
        try await perform { db in
            let arguments: StatementArguments = [ban.roomID.rawValue, ban.userID.rawValue]
            try db.run("DELETE FROM memberships WHERE room_id = ? AND user_id = ?", arguments)
            try db.run("DELETE FROM invites WHERE room_id = ? AND user_id = ?", arguments)
            try db.run(
                """
                INSERT INTO bans (room_id, user_id, banned_by, reason, created_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (room_id, user_id) DO UPDATE SET banned_by = excluded.banned_by, reason = excluded.reason,
                    created_at = excluded.created_at
                """, [ban.roomID.rawValue, ban.userID.rawValue, ban.bannedBy.rawValue, ban.reason, ban.createdAt.storageMilliseconds])
            try Self.record(audit, in: ban.roomID, db)
        }
    }

    public func unban(_ userID: UserID, in roomID: RoomID, audit: AuditRecord?) async throws -> Bool {
        try await perform { db in
            try db.run("DELETE FROM bans WHERE room_id = ? AND user_id = ?", [roomID.rawValue, userID.rawValue])
            let removed = db.changesCount > 0
            if removed { try Self.record(audit, in: roomID, db) }
            return removed
        }
    }

    public func ban(of userID: UserID, in roomID: RoomID) async throws -> RoomBan? {
        try await read { db in
            try db.row("SELECT * FROM bans WHERE room_id = ? AND user_id = ?", [roomID.rawValue, userID.rawValue])
                .map(RoomBan.init(row:))
        }
    }

    public func bans(in roomID: RoomID) async throws -> [RoomBan] {
        try await read { db in
            try db.rows("SELECT * FROM bans WHERE room_id = ? ORDER BY created_at DESC, user_id", [roomID.rawValue])
                .map(RoomBan.init(row:))
        }
    }

    public func auditLog(of roomID: RoomID, before: Int64?, limit: Int) async throws -> [AuditEntry] {
        try await read { db in
            try db.rows(
                "SELECT * FROM audit_log WHERE room_id = ? AND id < ? ORDER BY id DESC LIMIT ?",
                [roomID.rawValue, before ?? Int64.max, limit]
            ).map { row in
                AuditEntry(
                    id: row["id"], roomID: roomID, actorID: UserID(row["actor_id"] as Int64), action: row["action"],
                    targetID: (row["target_id"] as Int64?).map(UserID.init(rawValue:)), detail: row["detail"],
                    createdAt: Date(storageMilliseconds: row["created_at"]))
            }
        }
    }

    static func record(_ audit: AuditRecord?, in roomID: RoomID, _ db: Database) throws {
        guard let audit else { return }
        try db.run(
            "INSERT INTO audit_log (room_id, actor_id, action, target_id, detail, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            [
                roomID.rawValue, audit.actorID.rawValue, audit.action, audit.targetID?.rawValue, audit.detail,
                audit.createdAt.storageMilliseconds,
            ])
    }

    static func fetchRoom(id: Int64, in db: Database) throws -> Room? {
        try db.row("SELECT * FROM rooms WHERE id = ?", [id]).map(Room.init(row:))
    }

    static func fetchMembership(_ userID: UserID, _ roomID: RoomID, _ db: Database) throws -> Membership? {
        try db.row(
            "SELECT * FROM memberships WHERE room_id = ? AND user_id = ?", [roomID.rawValue, userID.rawValue]
        ).map { row in
            Membership(
                roomID: roomID, userID: userID, role: RoomRole(rawValue: row["role"]) ?? .member,
                joinedAt: Date(storageMilliseconds: row["joined_at"]))
        }
    }
}

extension Room {
    init(row: Row) {
        self.init(
            id: RoomID(row["id"] as Int64), name: row["name"], topic: row["topic"],
            visibility: RoomVisibility(rawValue: row["visibility"]) ?? .private, isReadonly: row["is_readonly"],
            slowmodeSeconds: row["slowmode_seconds"],
            voice: VoiceSettings(
                enabled: row["voice_enabled"], allowVideo: row["voice_allow_video"], allowScreenShare: row["voice_allow_screen_share"]),
            createdAt: Date(storageMilliseconds: row["created_at"]))
    }
}

extension RoomBan {
    init(row: Row) {
        self.init(
            roomID: RoomID(row["room_id"] as Int64), userID: UserID(row["user_id"] as Int64), bannedBy: UserID(row["banned_by"] as Int64),
            reason: row["reason"], createdAt: Date(storageMilliseconds: row["created_at"]))
    }
}
