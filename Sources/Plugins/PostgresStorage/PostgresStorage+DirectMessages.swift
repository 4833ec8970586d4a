public import EchoPluginAPI
public import Foundation
import PostgresNIO

/// Direct conversations (room rows of their own kind), blocks and direct-message policies.
extension PostgresStorage: DirectMessageStore {
    public func openDirectConversation(between first: UserID, and second: UserID, at date: Date) async throws -> (
        conversation: DirectConversation, created: Bool
    ) {
        guard first != second else { throw StorageError.invalidData("a one-to-one conversation needs two different users") }
        let key = "\(min(first.rawValue, second.rawValue)):\(max(first.rawValue, second.rawValue))"
        for _ in 0..<3 {
            if let id = try await row("SELECT room_id FROM direct_conversations WHERE pair_key = \(key)").map({ try $0.value("room_id", as: Int64.self) }),
                let existing = try await directConversation(id: RoomID(id))
            {
                return (existing, false)
            }
            // The pair key is unique: of two instances creating at once, the second waits on the
            // first's row, finds it committed, inserts nothing and rolls its room row back.
            do {
                let created = try await transaction { db -> Int64 in
                    guard let id = try await Self.insertConversation(kind: .direct, name: nil, pairKey: key, members: [first, second], at: date, db)
                    else { throw StorageError.conflict("the pair's conversation was created meanwhile") }
                    return id
                }
                if let conversation = try await directConversation(id: RoomID(created)) { return (conversation, true) }
            } catch let error as StorageError where error.isConflict {
                continue  // found on the next pass
            }
        }
        throw StorageError.unavailable("the one-to-one conversation could not be opened")
    }

    public func createGroupConversation(named name: String?, members: [UserID], at date: Date) async throws -> DirectConversation {
        let id = try await transaction { db in
            try await Self.insertConversation(kind: .group, name: name, pairKey: nil, members: members, at: date, db)
        }
        guard let id, let conversation = try await directConversation(id: RoomID(id)) else {
            throw StorageError.invalidData("the new conversation was not returned")
        }
        return conversation
    }

    public func directConversation(id: RoomID) async throws -> DirectConversation? {
        try await conversations(where: "r.id = \(id.rawValue)").first
    }

    public func directConversations(of userID: UserID) async throws -> [DirectConversation] {
        try await conversations(where: "r.id IN (SELECT room_id FROM memberships WHERE user_id = \(userID.rawValue))").sorted(by: DirectConversation.byActivity)
    }

    public func addConversationMember(_ userID: UserID, to conversation: RoomID, at date: Date, maxMembers: Int) async throws -> Bool {
        try await transaction { db in
            // The room row's lock orders concurrent additions, so the count cannot be overtaken.
            guard let row = try await db.row("SELECT * FROM rooms WHERE id = \(conversation.rawValue) FOR NO KEY UPDATE"),
                try Room(row: row).kind == .group
            else { throw StorageError.notFound("no group conversation with id \(conversation)") }
            let counts = try await db.row(
                """
                SELECT count(*) AS members, count(*) FILTER (WHERE user_id = \(userID.rawValue)) AS already
                FROM memberships WHERE room_id = \(conversation.rawValue)
                """)
            if try counts?.value("already", as: Int64.self) ?? 0 > 0 { return false }
            let members = try counts?.value("members", as: Int64.self) ?? 0
            guard members < Int64(maxMembers) else { throw StorageError.conflict("the conversation has \(members) members, the most it may have") }
            try await db.run(
                """
                INSERT INTO memberships (room_id, user_id, role, joined_at)
                VALUES (\(conversation.rawValue), \(userID.rawValue), 'member', \(date.storageMilliseconds))
                """)
            return true
        }
    }

    public func directMessagePolicy(of userID: UserID) async throws -> DirectMessagePolicy {
        let stored = try await row("SELECT policy FROM dm_policies WHERE user_id = \(userID.rawValue)").map { try $0.value("policy", as: String.self) }
        return stored.flatMap(DirectMessagePolicy.init(rawValue:)) ?? .sharedRooms
    }

    public func setDirectMessagePolicy(_ policy: DirectMessagePolicy, of userID: UserID) async throws {
        _ = try await rows(
            """
            INSERT INTO dm_policies (user_id, policy) VALUES (\(userID.rawValue), \(policy.rawValue))
            ON CONFLICT (user_id) DO UPDATE SET policy = excluded.policy
            """)
    }

    public func block(_ blocked: UserID, by blocker: UserID, at date: Date) async throws {
        _ = try await rows(
            """
            INSERT INTO user_blocks (blocker_id, blocked_id, created_at)
            VALUES (\(blocker.rawValue), \(blocked.rawValue), \(date.storageMilliseconds)) ON CONFLICT DO NOTHING
            """)
    }

    public func unblock(_ blocked: UserID, by blocker: UserID) async throws -> Bool {
        try await !rows(
            "DELETE FROM user_blocks WHERE blocker_id = \(blocker.rawValue) AND blocked_id = \(blocked.rawValue) RETURNING blocked_id"
        ).isEmpty
    }

    public func blockedUsers(by blocker: UserID) async throws -> [UserBlock] {
        try await rows("SELECT * FROM user_blocks WHERE blocker_id = \(blocker.rawValue) ORDER BY created_at DESC, blocked_id").map { row in
            UserBlock(
                blockerID: UserID(try row.value("blocker_id", as: Int64.self)), blockedID: UserID(try row.value("blocked_id", as: Int64.self)),
                createdAt: try row.date("created_at"))
        }
    }

    public func blocks(between user: UserID, and others: Set<UserID>) async throws -> Set<UserID> {
        guard !others.isEmpty else { return [] }
        let ids = others.map(\.rawValue)
        let rows = try await rows(
            """
            SELECT blocked_id AS other FROM user_blocks WHERE blocker_id = \(user.rawValue) AND blocked_id = ANY(\(ids))
            UNION SELECT blocker_id AS other FROM user_blocks WHERE blocked_id = \(user.rawValue) AND blocker_id = ANY(\(ids))
            """)
        return Set(try rows.map { UserID(try $0.value("other", as: Int64.self)) })
    }

    public func sharesRoom(_ first: UserID, _ second: UserID) async throws -> Bool {
        try await row(
            """
            SELECT 1 FROM memberships a JOIN memberships b ON b.room_id = a.room_id AND b.user_id = \(second.rawValue)
            JOIN rooms r ON r.id = a.room_id
            WHERE a.user_id = \(first.rawValue) AND r.name_key NOT LIKE 'DM:%' LIMIT 1
            """) != nil
    }

    // MARK: Rows

    /// Inserts a conversation's room row, its own row and its members; returns the room id, or
    /// `nil` when the pair already has a conversation (the caller rolls back).
    static func insertConversation(kind: RoomKind, name: String?, pairKey: String?, members: [UserID], at date: Date, _ db: Transaction) async throws
        -> Int64?
    {
        let created = date.storageMilliseconds
        let stored = kind.newStoredName()
        guard
            let room = try await db.row(
                """
                INSERT INTO rooms (name, name_key, topic, visibility, is_readonly, slowmode_seconds,
                    voice_enabled, voice_allow_video, voice_allow_screen_share, created_at)
                VALUES (\(stored), \(stored), '', 'private', false, 0, false, false, false, \(created))
                RETURNING id
                """)
        else { throw StorageError.invalidData("the new conversation was not returned") }
        let id = try room.value("id", as: Int64.self)
        guard
            try await db.row(
                """
                INSERT INTO direct_conversations (room_id, name, pair_key) VALUES (\(id), \(name), \(pairKey))
                ON CONFLICT (pair_key) DO NOTHING RETURNING room_id
                """) != nil
        else { return nil }
        let users = members.map(\.rawValue)
        // Joining order is kept to the millisecond, so listing by joined_at keeps it.
        try await db.run(
            """
            INSERT INTO memberships (room_id, user_id, role, joined_at)
            SELECT \(id), u.id, 'member', \(created) + u.position - 1 FROM unnest(\(users)::bigint[]) WITH ORDINALITY AS u(id, position)
            """)
        return id
    }

    /// The conversations matching `condition` on their room row `r`, with members and newest
    /// message, in three queries.
    private func conversations(where condition: String) async throws -> [DirectConversation] {
        let found = try await rows(
            PostgresQuery(
                unsafeSQL: "SELECT r.*, d.name AS dm_name FROM rooms r JOIN direct_conversations d ON d.room_id = r.id WHERE \(condition)"))
        guard !found.isEmpty else { return [] }
        let ids = try found.map { try $0.value("id", as: Int64.self) }
        var members: [Int64: [UserID]] = [:]
        for row in try await rows("SELECT room_id, user_id FROM memberships WHERE room_id = ANY(\(ids)) ORDER BY joined_at, user_id") {
            members[try row.value("room_id", as: Int64.self), default: []].append(UserID(try row.value("user_id", as: Int64.self)))
        }
        var last: [Int64: Message] = [:]
        for row in try await rows(
            """
            SELECT m.* FROM unnest(\(ids)::bigint[]) AS c(id)
            CROSS JOIN LATERAL (SELECT * FROM messages WHERE room_id = c.id AND deleted_at IS NULL ORDER BY id DESC LIMIT 1) m
            """)
        {
            let message = try Message(row: row)
            last[message.roomID.rawValue] = message
        }
        return try found.map { row in
            let room = try Room(row: row)
            return DirectConversation(
                room: room, name: try row.value("dm_name", as: String?.self), memberIDs: members[room.id.rawValue] ?? [], lastMessage: last[room.id.rawValue])
        }
    }
}
