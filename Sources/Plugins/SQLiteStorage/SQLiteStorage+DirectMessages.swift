public import EchoPluginAPI
public import Foundation
import GRDB

/// Direct conversations (room rows of their own kind), blocks and direct-message policies.
extension SQLiteStorage: DirectMessageStore {
    public func openDirectConversation(between first: UserID, and second: UserID, at date: Date) async throws -> (
        conversation: DirectConversation, created: Bool
    ) {
        guard first != second else { throw StorageError.invalidData("a one-to-one conversation needs two different users") }
        let key = Self.pairKey(first, second)
        // One write transaction at a time: the look-up and the insert cannot interleave with another's.
        return try await perform { db in
            if let id: Int64 = try db.row("SELECT room_id FROM direct_conversations WHERE pair_key = ?", [key])?["room_id"],
                let existing = try Self.fetchConversation(id, db)
            {
                return (existing, false)
            }
            let id = try Self.insertConversation(kind: .direct, name: nil, pairKey: key, members: [first, second], at: date, db)
            return (try Self.fetchConversation(id, db)!, true)
        }
    }

    public func createGroupConversation(named name: String?, members: [UserID], at date: Date) async throws -> DirectConversation {
        try await perform { db in
            let id = try Self.insertConversation(kind: .group, name: name, pairKey: nil, members: members, at: date, db)
            return try Self.fetchConversation(id, db)!
        }
    }

    public func directConversation(id: RoomID) async throws -> DirectConversation? {
        try await read { db in try Self.fetchConversation(id.rawValue, db) }
    }

    public func directConversations(of userID: UserID) async throws -> [DirectConversation] {
        try await read { db in
            let ids: [Int64] = try db.rows(
                "SELECT d.room_id FROM memberships m JOIN direct_conversations d ON d.room_id = m.room_id WHERE m.user_id = ?", [userID.rawValue]
            ).map { $0["room_id"] }
            let conversations = try ids.compactMap { try Self.fetchConversation($0, db) }
            return conversations.sorted(by: DirectConversation.byActivity)
        }
    }

    public func addConversationMember(_ userID: UserID, to conversation: RoomID, at date: Date, maxMembers: Int) async throws -> Bool {
        try await perform { db in
            guard let room = try Self.fetchRoom(id: conversation.rawValue, in: db), room.kind == .group else {
                throw StorageError.notFound("no group conversation with id \(conversation)")
            }
            if try db.row("SELECT 1 FROM memberships WHERE room_id = ? AND user_id = ?", [conversation.rawValue, userID.rawValue]) != nil {
                return false
            }
            let count: Int = try db.row("SELECT count(*) AS n FROM memberships WHERE room_id = ?", [conversation.rawValue])?["n"] ?? 0
            guard count < maxMembers else { throw StorageError.conflict("the conversation has \(count) members, the most it may have") }
            try db.run(
                "INSERT INTO memberships (room_id, user_id, role, joined_at) VALUES (?, ?, 'member', ?)",
                [conversation.rawValue, userID.rawValue, date.storageMilliseconds])
            return true
        }
    }

    public func directMessagePolicy(of userID: UserID) async throws -> DirectMessagePolicy {
        try await read { db in
            let stored: String? = try db.row("SELECT policy FROM dm_policies WHERE user_id = ?", [userID.rawValue])?["policy"]
            return stored.flatMap(DirectMessagePolicy.init(rawValue:)) ?? .sharedRooms
        }
    }

    public func setDirectMessagePolicy(_ policy: DirectMessagePolicy, of userID: UserID) async throws {
        try await perform { db in
            try db.run(
                "INSERT INTO dm_policies (user_id, policy) VALUES (?, ?) ON CONFLICT (user_id) DO UPDATE SET policy = excluded.policy",
                [userID.rawValue, policy.rawValue])
        }
    }

    public func block(_ blocked: UserID, by blocker: UserID, at date: Date) async throws {
        try await perform { db in
            try db.run(
                "INSERT INTO user_blocks (blocker_id, blocked_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                [blocker.rawValue, blocked.rawValue, date.storageMilliseconds])
        }
    }

    public func unblock(_ blocked: UserID, by blocker: UserID) async throws -> Bool {
        try await perform { db in
            try db.run("DELETE FROM user_blocks WHERE blocker_id = ? AND blocked_id = ?", [blocker.rawValue, blocked.rawValue])
            return db.changesCount > 0
        }
    }

    public func blockedUsers(by blocker: UserID) async throws -> [UserBlock] {
        try await read { db in
            try db.rows("SELECT * FROM user_blocks WHERE blocker_id = ? ORDER BY created_at DESC, blocked_id", [blocker.rawValue]).map { row in
                UserBlock(
                    blockerID: UserID(row["blocker_id"] as Int64), blockedID: UserID(row["blocked_id"] as Int64),
                    createdAt: Date(storageMilliseconds: row["created_at"]))
            }
        }
    }

    public func blocks(between user: UserID, and others: Set<UserID>) async throws -> Set<UserID> {
        guard !others.isEmpty else { return [] }
        return try await read { db in
            let rows = try db.rows(
                """
                SELECT blocked_id AS other FROM user_blocks WHERE blocker_id = ?
                UNION SELECT blocker_id AS other FROM user_blocks WHERE blocked_id = ?
                """, [user.rawValue, user.rawValue])
            return Set(rows.map { UserID($0["other"] as Int64) }).intersection(others)
        }
    }

    public func sharesRoom(_ first: UserID, _ second: UserID) async throws -> Bool {
        try await read { db in
            try db.row(
                """
                SELECT 1 FROM memberships a JOIN memberships b ON b.room_id = a.room_id AND b.user_id = ?
                JOIN rooms r ON r.id = a.room_id
                WHERE a.user_id = ? AND r.name_key NOT GLOB 'DM:*' LIMIT 1
                """, [second.rawValue, first.rawValue]) != nil
        }
    }

    // MARK: Rows

    /// `low:high`: the key that makes a pair's one-to-one conversation unique.
    static func pairKey(_ first: UserID, _ second: UserID) -> String {
        "\(min(first.rawValue, second.rawValue)):\(max(first.rawValue, second.rawValue))"
    }

    /// Inserts a conversation's room row, its members and its own row; returns the room id.
    static func insertConversation(kind: RoomKind, name: String?, pairKey: String?, members: [UserID], at date: Date, _ db: Database) throws -> Int64 {
        let created = date.storageMilliseconds
        let stored = kind.newStoredName()
        try db.run(
            """
            INSERT INTO rooms (name, name_key, topic, visibility, is_readonly, slowmode_seconds,
                voice_enabled, voice_allow_video, voice_allow_screen_share, created_at)
            VALUES (?, ?, '', 'private', 0, 0, 0, 0, 0, ?)
            """, [stored, stored, created])
        let id = db.lastInsertedRowID
        try db.run("INSERT INTO direct_conversations (room_id, name, pair_key) VALUES (?, ?, ?)", [id, name, pairKey])
        for (offset, member) in members.enumerated() {
            // Joining order is kept to the millisecond, so listing by joined_at keeps it.
            try db.run(
                "INSERT INTO memberships (room_id, user_id, role, joined_at) VALUES (?, ?, 'member', ?)",
                [id, member.rawValue, created + Int64(offset)])
        }
        return id
    }

    static func fetchConversation(_ id: Int64, _ db: Database) throws -> DirectConversation? {
        guard let row = try db.row("SELECT r.*, d.name AS dm_name FROM rooms r JOIN direct_conversations d ON d.room_id = r.id WHERE r.id = ?", [id])
        else { return nil }
        let members: [UserID] = try db.rows("SELECT user_id FROM memberships WHERE room_id = ? ORDER BY joined_at, user_id", [id]).map {
            UserID($0["user_id"] as Int64)
        }
        let last = try db.row("SELECT * FROM messages WHERE room_id = ? AND deleted_at IS NULL ORDER BY id DESC LIMIT 1", [id]).map(Message.init(row:))
        return DirectConversation(room: Room(row: row), name: row["dm_name"], memberIDs: members, lastMessage: last)
    }
}
