public import EchoPluginAPI
public import Foundation
import PostgresNIO

extension PostgresStorage {
    public func createRoom(_ room: NewRoom, owner: UserID) async throws -> Room {
        try await transaction { db in
            let created = room.createdAt.storageMilliseconds
            guard
                let row = try await db.row(
                    """
                    INSERT INTO rooms (name, name_key, topic, visibility, is_readonly, slowmode_seconds,
                        voice_enabled, voice_allow_video, voice_allow_screen_share, created_at)
                    VALUES (\(room.name), \(room.name.lowercased()), \(room.topic), \(room.visibility.rawValue), \(room.isReadonly),
                        \(Int64(room.slowmodeSeconds)), \(room.voice.enabled), \(room.voice.allowVideo), \(room.voice.allowScreenShare),
                        \(created))
                    RETURNING *
                    """)
            else { throw StorageError.invalidData("the new room was not returned") }
            let stored = try Room(row: row)
            try await db.run(
                """
                INSERT INTO memberships (room_id, user_id, role, joined_at)
                VALUES (\(stored.id.rawValue), \(owner.rawValue), \(RoomRole.owner.rawValue), \(created))
                """)
            return stored
        }
    }

    public func room(named name: String) async throws -> Room? {
        try await row("SELECT * FROM rooms WHERE name_key = \(name.lowercased())").map(Room.init(row:))
    }

    public func room(id: RoomID) async throws -> Room? {
        try await row("SELECT * FROM rooms WHERE id = \(id.rawValue)").map(Room.init(row:))
    }

    public func roomStanding(named name: String, of userID: UserID, at now: Date) async throws -> RoomStanding? {
        var binds = PostgresBindings()
        binds.append(userID.rawValue)
        binds.append(now.storageMilliseconds)
        binds.append(name.lowercased())
        return try await rows(PostgresQuery(unsafeSQL: Self.standingSQL, binds: binds)).first.map { try Self.standing(from: $0, of: userID) }
    }

    public func sessionAndStanding(session: SessionID, user: UserID, room: String, at now: Date) async throws -> SessionAndStanding {
        // One round trip: the session joined to its user, and the standing, as the two sides of
        // a FULL JOIN on nothing (either side may be missing).
        var binds = PostgresBindings()
        binds.append(user.rawValue)
        binds.append(now.storageMilliseconds)
        binds.append(room.lowercased())
        binds.append(session.rawValue)
        let rows = try await rows(
            PostgresQuery(
                unsafeSQL: """
                    SELECT * FROM (
                        SELECT s.id AS s_id, s.user_id AS s_user_id, s.created_at AS s_created_at, s.last_used_at AS s_last_used_at,
                            s.expires_at AS s_expires_at, s.revoked_at AS s_revoked_at, s.user_agent AS s_user_agent,
                            s.client_address AS s_client_address, \(Self.userColumns)
                        FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $4
                    ) session FULL JOIN (\(Self.standingSQL)) standing ON TRUE
                    """, binds: binds))
        guard let row = rows.first else { return SessionAndStanding(session: nil, standing: nil) }
        var found: SessionWithUser?
        if try row.value("s_id", as: String?.self) != nil {
            found = SessionWithUser(session: try Session(row: row, prefix: "s_"), user: try User(row: row, prefix: "u_"))
        }
        let standing = try row.value("id", as: Int64?.self) != nil ? try Self.standing(from: row, of: user) : nil
        return SessionAndStanding(session: found, standing: standing)
    }

    /// The room whose key is $3 with user $1's membership, ban and invite, the owner count and
    /// the user's voice restrictions live at $2, as one row.
    static let standingSQL = """
        SELECT r.*, m.role AS member_role, m.joined_at AS member_joined_at,
            EXISTS (SELECT 1 FROM bans b WHERE b.room_id = r.id AND b.user_id = $1) AS is_banned,
            EXISTS (SELECT 1 FROM invites i WHERE i.room_id = r.id AND i.user_id = $1) AS has_invite,
            (SELECT count(*) FROM memberships o WHERE o.room_id = r.id AND o.role = 'owner') AS owner_count,
            (SELECT string_agg(v.kind, ',') FROM voice_restrictions v
                WHERE v.room_id = r.id AND v.user_id = $1 AND v.until > $2) AS restrictions
        FROM rooms r LEFT JOIN memberships m ON m.room_id = r.id AND m.user_id = $1
        WHERE r.name_key = $3
        """

    static func standing(from row: PostgresRandomAccessRow, of userID: UserID) throws -> RoomStanding {
        let room = try Room(row: row)
        var membership: Membership?
        if let role = try row.value("member_role", as: String?.self) {
            membership = Membership(
                roomID: room.id, userID: userID, role: RoomRole(rawValue: role) ?? .member, joinedAt: try row.date("member_joined_at"))
        }
        let restrictions = (try row.value("restrictions", as: String?.self) ?? "").split(separator: ",")
            .compactMap { VoiceRestriction(rawValue: String($0)) }
        return RoomStanding(
            room: room, membership: membership, isBanned: try row.value("is_banned"), hasInvite: try row.value("has_invite"),
            ownerCount: Int(try row.value("owner_count", as: Int64.self)), voiceRestrictions: Set(restrictions))
    }

    public func rooms(visibleTo userID: UserID) async throws -> [RoomListing] {
        try await rows(
            """
            SELECT r.*, m.role AS my_role FROM rooms r
            LEFT JOIN memberships m ON m.room_id = r.id AND m.user_id = \(userID.rawValue)
            WHERE (r.visibility = 'public' OR m.user_id IS NOT NULL) AND r.name_key NOT LIKE 'DM:%'
            ORDER BY r.name_key
            """
        ).map(Self.listing(from:))
    }

    public func allRooms(for userID: UserID) async throws -> [RoomListing] {
        try await rows(
            """
            SELECT r.*, m.role AS my_role FROM rooms r
            LEFT JOIN memberships m ON m.room_id = r.id AND m.user_id = \(userID.rawValue)
            WHERE r.name_key NOT LIKE 'DM:%'
            ORDER BY r.name_key
            """
        ).map(Self.listing(from:))
    }

    static func listing(from row: PostgresRandomAccessRow) throws -> RoomListing {
        RoomListing(room: try Room(row: row), role: try row.value("my_role", as: String?.self).flatMap(RoomRole.init(rawValue:)))
    }

    public func updateRoom(_ id: RoomID, _ update: RoomUpdate, audit: AuditRecord?) async throws -> Room {
        try await transaction { db in
            guard
                let row = try await db.row(
                    """
                    UPDATE rooms SET
                        topic = COALESCE(\(update.topic), topic),
                        visibility = COALESCE(\(update.visibility?.rawValue), visibility),
                        is_readonly = COALESCE(\(update.isReadonly), is_readonly),
                        slowmode_seconds = COALESCE(\(update.slowmodeSeconds.map(Int64.init)), slowmode_seconds),
                        voice_enabled = COALESCE(\(update.voice?.enabled), voice_enabled),
                        voice_allow_video = COALESCE(\(update.voice?.allowVideo), voice_allow_video),
                        voice_allow_screen_share = COALESCE(\(update.voice?.allowScreenShare), voice_allow_screen_share)
                    WHERE id = \(id.rawValue) RETURNING *
                    """)
            else { throw StorageError.notFound("no room with id \(id)") }
            try await Self.record(audit, in: id, db)
            return try Room(row: row)
        }
    }

    public func deleteRoom(_ id: RoomID) async throws {
        guard try await !rows("DELETE FROM rooms WHERE id = \(id.rawValue) RETURNING id").isEmpty else {
            throw StorageError.notFound("no room with id \(id)")
        }
    }

    public func membership(of userID: UserID, in roomID: RoomID) async throws -> Membership? {
        try await row("SELECT * FROM memberships WHERE room_id = \(roomID.rawValue) AND user_id = \(userID.rawValue)")
            .map(Membership.init(row:))
    }

    public func members(of roomID: RoomID) async throws -> [RoomMember] {
        try await rows(
            """
            SELECT u.*, m.role AS member_role, m.joined_at AS member_joined_at FROM memberships m
            JOIN users u ON u.id = m.user_id WHERE m.room_id = \(roomID.rawValue)
            ORDER BY CASE m.role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 WHEN 'moderator' THEN 2 ELSE 3 END, u.username
            """
        ).map { row in
            let user = try User(row: row)
            return RoomMember(
                user: user,
                membership: Membership(
                    roomID: roomID, userID: user.id, role: RoomRole(rawValue: try row.value("member_role")) ?? .member,
                    joinedAt: try row.date("member_joined_at")))
        }
    }

    public func memberCount(of roomID: RoomID, role: RoomRole) async throws -> Int {
        Int(
            try await row("SELECT count(*) AS n FROM memberships WHERE room_id = \(roomID.rawValue) AND role = \(role.rawValue)")?
                .value("n", as: Int64.self) ?? 0)
    }

    public func roomIDs(of userID: UserID) async throws -> [RoomID] {
        try await rows("SELECT room_id FROM memberships WHERE user_id = \(userID.rawValue) ORDER BY room_id").map {
            RoomID(try $0.value("room_id", as: Int64.self))
        }
    }

    /// Takes the room row's lock, which orders membership changes, bans and seat reservations in
    /// one room across every instance.
    static func lockRoom(_ roomID: RoomID, _ db: Transaction) async throws {
        guard try await db.row("SELECT id FROM rooms WHERE id = \(roomID.rawValue) FOR NO KEY UPDATE") != nil else {
            throw StorageError.notFound("no room with id \(roomID)")
        }
    }

    public func addMember(_ membership: Membership) async throws -> Membership {
        try await transaction { db in
            let room = membership.roomID.rawValue
            let user = membership.userID.rawValue
            try await Self.lockRoom(membership.roomID, db)
            guard try await db.row("SELECT 1 FROM bans WHERE room_id = \(room) AND user_id = \(user)") == nil else {
                throw StorageError.conflict("user \(membership.userID) is banned from room \(membership.roomID)")
            }
            try await db.run(
                """
                INSERT INTO memberships (room_id, user_id, role, joined_at)
                VALUES (\(room), \(user), \(membership.role.rawValue), \(membership.joinedAt.storageMilliseconds))
                ON CONFLICT DO NOTHING
                """)
            try await db.run("DELETE FROM invites WHERE room_id = \(room) AND user_id = \(user)")
            guard let stored = try await db.row("SELECT * FROM memberships WHERE room_id = \(room) AND user_id = \(user)") else {
                throw StorageError.notFound("no membership of user \(membership.userID) in room \(membership.roomID)")
            }
            return try Membership(row: stored)
        }
    }

    public func setRole(_ role: RoomRole, of userID: UserID, in roomID: RoomID, audit: AuditRecord?) async throws -> Membership {
        try await transaction { db in
            guard
                let row = try await db.row(
                    """
                    UPDATE memberships SET role = \(role.rawValue) WHERE room_id = \(roomID.rawValue) AND user_id = \(userID.rawValue)
                    RETURNING *
                    """)
            else { throw StorageError.notFound("user \(userID) is not a member of room \(roomID)") }
            try await Self.record(audit, in: roomID, db)
            return try Membership(row: row)
        }
    }

    public func transferOwnership(of roomID: RoomID, from previousOwner: UserID, to newOwner: UserID, audit: AuditRecord?) async throws {
        try await transaction { db in
            try await Self.lockRoom(roomID, db)
            guard
                try await db.row(
                    "UPDATE memberships SET role = 'owner' WHERE room_id = \(roomID.rawValue) AND user_id = \(newOwner.rawValue) RETURNING 1")
                    != nil
            else { throw StorageError.notFound("user \(newOwner) is not a member of room \(roomID)") }
            try await db.run("UPDATE memberships SET role = 'admin' WHERE room_id = \(roomID.rawValue) AND user_id = \(previousOwner.rawValue)")
            try await Self.record(audit, in: roomID, db)
        }
    }

    public func removeMember(_ userID: UserID, from roomID: RoomID, audit: AuditRecord?) async throws -> Bool {
        try await transaction { db in
            let removed =
                try await db.row("DELETE FROM memberships WHERE room_id = \(roomID.rawValue) AND user_id = \(userID.rawValue) RETURNING 1")
                != nil
            if removed { try await Self.record(audit, in: roomID, db) }
            return removed
        }
    }

    public func invite(_ userID: UserID, to roomID: RoomID, by inviter: UserID, at date: Date, audit: AuditRecord?) async throws {
        try await transaction { db in
            try await db.run(
                """
                INSERT INTO invites (room_id, user_id, invited_by, created_at)
                VALUES (\(roomID.rawValue), \(userID.rawValue), \(inviter.rawValue), \(date.storageMilliseconds)) ON CONFLICT DO NOTHING
                """)
            try await Self.record(audit, in: roomID, db)
        }
    }

    public func hasInvite(_ userID: UserID, to roomID: RoomID) async throws -> Bool {
        try await row("SELECT 1 FROM invites WHERE room_id = \(roomID.rawValue) AND user_id = \(userID.rawValue)") != nil
    }

    public func ban(_ ban: RoomBan, audit: AuditRecord?) async throws {
        try await transaction { db in
            let room = ban.roomID.rawValue
            let user = ban.userID.rawValue
            try await Self.lockRoom(ban.roomID, db)
            try await db.run("DELETE FROM memberships WHERE room_id = \(room) AND user_id = \(user)")
            try await db.run("DELETE FROM invites WHERE room_id = \(room) AND user_id = \(user)")
            try await db.run(
                """
                INSERT INTO bans (room_id, user_id, banned_by, reason, created_at)
                VALUES (\(room), \(user), \(ban.bannedBy.rawValue), \(ban.reason), \(ban.createdAt.storageMilliseconds))
                ON CONFLICT (room_id, user_id) DO UPDATE SET banned_by = excluded.banned_by, reason = excluded.reason,
                    created_at = excluded.created_at
                """)
            try await Self.record(audit, in: ban.roomID, db)
        }
    }

    public func unban(_ userID: UserID, in roomID: RoomID, audit: AuditRecord?) async throws -> Bool {
        try await transaction { db in
            let removed =
                try await db.row("DELETE FROM bans WHERE room_id = \(roomID.rawValue) AND user_id = \(userID.rawValue) RETURNING 1") != nil
            if removed { try await Self.record(audit, in: roomID, db) }
            return removed
        }
    }

    public func ban(of userID: UserID, in roomID: RoomID) async throws -> RoomBan? {
        try await row("SELECT * FROM bans WHERE room_id = \(roomID.rawValue) AND user_id = \(userID.rawValue)").map(RoomBan.init(row:))
    }

    public func bans(in roomID: RoomID) async throws -> [RoomBan] {
        try await rows("SELECT * FROM bans WHERE room_id = \(roomID.rawValue) ORDER BY created_at DESC, user_id").map(RoomBan.init(row:))
    }

    public func auditLog(of roomID: RoomID, before: Int64?, limit: Int) async throws -> [AuditEntry] {
        try await rows(
            """
            SELECT * FROM audit_log WHERE room_id = \(roomID.rawValue) AND id < \(before ?? Int64.max)
            ORDER BY id DESC LIMIT \(Int64(limit))
            """
        ).map { row in
            AuditEntry(
                id: try row.value("id"), roomID: roomID, actorID: UserID(try row.value("actor_id", as: Int64.self)),
                action: try row.value("action"), targetID: try row.value("target_id", as: Int64?.self).map(UserID.init(rawValue:)),
                detail: try row.value("detail"), createdAt: try row.date("created_at"))
        }
    }

    static func record(_ audit: AuditRecord?, in roomID: RoomID, _ db: Transaction) async throws {
        guard let audit else { return }
        try await db.run(
            """
            INSERT INTO audit_log (room_id, actor_id, action, target_id, detail, created_at)
            VALUES (\(roomID.rawValue), \(audit.actorID.rawValue), \(audit.action), \(audit.targetID?.rawValue), \(audit.detail),
                \(audit.createdAt.storageMilliseconds))
            """)
    }
}

extension Room {
    init(row: PostgresRandomAccessRow) throws {
        self.init(
            id: RoomID(try row.value("id", as: Int64.self)), name: try row.value("name"), topic: try row.value("topic"),
            visibility: RoomVisibility(rawValue: try row.value("visibility")) ?? .private, isReadonly: try row.value("is_readonly"),
            slowmodeSeconds: Int(try row.value("slowmode_seconds", as: Int64.self)),
            voice: VoiceSettings(
                enabled: try row.value("voice_enabled"), allowVideo: try row.value("voice_allow_video"),
                allowScreenShare: try row.value("voice_allow_screen_share")),
            createdAt: try row.date("created_at"))
    }
}

extension Membership {
    init(row: PostgresRandomAccessRow) throws {
        self.init(
            roomID: RoomID(try row.value("room_id", as: Int64.self)), userID: UserID(try row.value("user_id", as: Int64.self)),
            role: RoomRole(rawValue: try row.value("role")) ?? .member, joinedAt: try row.date("joined_at"))
    }
}

extension RoomBan {
    init(row: PostgresRandomAccessRow) throws {
        self.init(
            roomID: RoomID(try row.value("room_id", as: Int64.self)), userID: UserID(try row.value("user_id", as: Int64.self)),
            bannedBy: UserID(try row.value("banned_by", as: Int64.self)), reason: try row.value("reason"), createdAt: try row.date("created_at"))
    }
}

extension Session {
    init(row: PostgresRandomAccessRow, prefix: String) throws {
        self.init(
            id: SessionID(try row.value(prefix + "id", as: String.self)), userID: UserID(try row.value(prefix + "user_id", as: Int64.self)),
            createdAt: try row.date(prefix + "created_at"), lastUsedAt: try row.date(prefix + "last_used_at"),
            expiresAt: try row.date(prefix + "expires_at"), revokedAt: try row.optionalDate(prefix + "revoked_at"),
            userAgent: try row.value(prefix + "user_agent"), clientAddress: try row.value(prefix + "client_address"))
    }
}
