public import EchoPluginAPI
public import Foundation
import PostgresNIO

/// The voice channel's queue, seat moves and voice bans. Every decision is made holding the room
/// row's lock, so instances sharing the database never overfill a sub-room or offer a seat twice.
extension PostgresStorage: VoiceChannelStore {
    public func reserveSeatOrQueue(
        _ request: SeatRequest, joinsQueue: Bool, bypassesQueue: Bool, decide: @escaping @Sendable ([SubroomOccupancy]) -> SubroomDecision
    ) async throws -> QueuedSeatOutcome {
        // As reserveSeat does: the statements go out at once on the connection, the rules decide
        // on its event loop as soon as the reads arrive, so the room's lock is held for no
        // scheduling delay of this instance's.
        let room = request.roomID.rawValue
        let now = request.now.storageMilliseconds
        return try await withDeadline { [client, logger] in
            try await client.withConnection { connection in
                let reads: [PostgresQuery] = [
                    "BEGIN",
                    "SELECT id FROM rooms WHERE id = \(room) FOR NO KEY UPDATE",
                    "DELETE FROM voice_seats WHERE room_id = \(room) AND state = 'reserved' AND expires_at <= \(now)",
                    "SELECT \(unescaped: Self.seatColumns) FROM voice_seats WHERE room_id = \(room)",
                    "SELECT * FROM voice_queue WHERE room_id = \(room) ORDER BY seq",
                ]
                let loop = connection.eventLoop
                let sent = reads.map { query -> EventLoopFuture<PostgresQueryResult> in connection.query(query, logger: logger) }
                let done = EventLoopFuture.whenAllSucceed(sent, on: loop).flatMap { results -> EventLoopFuture<QueuedSeatOutcome> in
                    let outcome: QueuedSeatOutcome
                    var writes: [PostgresQuery] = []
                    do {
                        guard !results[1].rows.isEmpty else { throw StorageError.notFound("no room with id \(room)") }
                        let occupancy = try results[3].rows.map(VoiceSeat.init(columns:))
                        let queue = try results[4].rows.enumerated().map { index, row in
                            try VoiceQueueEntry(row: row.makeRandomAccess(), roomID: request.roomID, position: index + 1)
                        }
                        let (decided, change, queueChanges) = VoiceQueueRules.reserveOrQueue(
                            request, joinsQueue: joinsQueue, bypassesQueue: bypassesQueue, ownSeat: occupancy.first { $0.userID == request.userID },
                            queue: queue, occupancy: occupancy, decide: decide)
                        outcome = decided
                        writes = (change.map { [Self.query(for: $0)] } ?? []) + queueChanges.map { Self.query(for: $0) }
                    } catch {
                        return loop.makeFailedFuture(error)
                    }
                    let written = (writes + ["COMMIT"]).map { query -> EventLoopFuture<PostgresQueryResult> in connection.query(query, logger: logger) }
                    return EventLoopFuture.whenAllSucceed(written, on: loop).map { _ in outcome }
                }
                do {
                    return try await done.get()
                } catch {
                    _ = try? await connection.query("ROLLBACK", logger: logger).get()
                    throw error
                }
            }
        }
    }

    public func offerQueuedSeats(
        in roomID: RoomID, now: Date, expiresAt: Date, limit: Int,
        decide: @escaping @Sendable (VoiceQueueEntry, [SubroomOccupancy]) -> SubroomDecision
    ) async throws -> [VoiceSeat] {
        // Most passes find an empty queue: that costs one read and no lock.
        guard try await row("SELECT 1 FROM voice_queue WHERE room_id = \(roomID.rawValue) LIMIT 1") != nil else { return [] }
        return try await transaction { db in
            try await Self.lockRoom(roomID, db)
            try await Self.dropLapsedReservations(in: roomID, at: now, db)
            let (offers, dequeued) = VoiceQueueRules.offer(
                queue: try await Self.queue(in: roomID, db),
                seats: try await db.rows("SELECT * FROM voice_seats WHERE room_id = \(roomID.rawValue)").map(VoiceSeat.init(row:)),
                now: now, expiresAt: expiresAt, limit: limit, decide: decide)
            for seat in offers { try await db.run(Self.query(for: .insert(seat))) }
            for change in dequeued { try await db.run(Self.query(for: change)) }
            return offers
        }
    }

    public func voiceQueue(in roomID: RoomID) async throws -> [VoiceQueueEntry] {
        try await rows("SELECT * FROM voice_queue WHERE room_id = \(roomID.rawValue) ORDER BY seq").enumerated().map { index, row in
            try VoiceQueueEntry(row: row, roomID: roomID, position: index + 1)
        }
    }

    public func roomsWithVoiceQueues() async throws -> Set<RoomID> {
        Set(try await rows("SELECT DISTINCT room_id FROM voice_queue").map { RoomID(try $0.value("room_id", as: Int64.self)) })
    }

    public func leaveVoiceQueue(of userID: UserID, in roomID: RoomID) async throws -> Bool {
        // Under the room's lock, so that an offer pass under way either offered before the leave or sees it.
        try await transaction { db in
            try await Self.lockRoom(roomID, db)
            return !(try await db.rows(
                "DELETE FROM voice_queue WHERE room_id = \(roomID.rawValue) AND user_id = \(userID.rawValue) RETURNING 1"
            ).isEmpty)
        }
    }

    public func leaveVoiceQueues(of userID: UserID) async throws -> Set<RoomID> {
        var left: Set<RoomID> = []
        for row in try await rows("SELECT room_id FROM voice_queue WHERE user_id = \(userID.rawValue) ORDER BY room_id") {
            let roomID = RoomID(try row.value("room_id", as: Int64.self))
            if try await leaveVoiceQueue(of: userID, in: roomID) { left.insert(roomID) }
        }
        return left
    }

    public func moveSeat(
        of userID: UserID, in roomID: RoomID, to subroom: Int, now: Date, expiresAt: Date, audit: AuditRecord?,
        admits: @escaping @Sendable ([SubroomOccupancy]) -> Bool
    ) async throws -> SeatMove {
        try await transaction { db in
            try await Self.lockRoom(roomID, db)
            let seats = try await db.rows("SELECT * FROM voice_seats WHERE room_id = \(roomID.rawValue)").map(VoiceSeat.init(row:))
            let (move, change) = VoiceQueueRules.move(
                seats.first { $0.userID == userID }, to: subroom, seats: seats, now: now, expiresAt: expiresAt, admits: admits)
            if let change {
                try await db.run(Self.query(for: change))
                try await Self.record(audit, in: roomID, db)
            }
            return move
        }
    }

    public func banFromVoice(_ ban: VoiceBan, audit: AuditRecord?) async throws {
        try await transaction { db in
            try await db.run(
                """
                INSERT INTO voice_bans (room_id, user_id, reason, banned_by, created_at, expires_at)
                VALUES (\(ban.roomID.rawValue), \(ban.userID.rawValue), \(ban.reason), \(ban.bannedBy?.rawValue),
                    \(ban.createdAt.storageMilliseconds), \(ban.expiresAt?.storageMilliseconds))
                ON CONFLICT (room_id, user_id) DO UPDATE SET reason = excluded.reason, banned_by = excluded.banned_by,
                    created_at = excluded.created_at, expires_at = excluded.expires_at
                """)
            try await Self.record(audit, in: ban.roomID, db)
        }
    }

    public func liftVoiceBan(of userID: UserID, in roomID: RoomID, at now: Date, audit: AuditRecord?) async throws -> Bool {
        try await transaction { db in
            let lifted = try await db.rows(
                """
                DELETE FROM voice_bans WHERE room_id = \(roomID.rawValue) AND user_id = \(userID.rawValue)
                RETURNING (expires_at IS NULL OR expires_at > \(now.storageMilliseconds)) AS in_force
                """
            ).first.map { try $0.value("in_force", as: Bool.self) } ?? false
            if lifted { try await Self.record(audit, in: roomID, db) }
            return lifted
        }
    }

    public func voiceBans(in roomID: RoomID, at now: Date) async throws -> [VoiceBan] {
        try await rows(
            """
            SELECT * FROM voice_bans WHERE room_id = \(roomID.rawValue) AND (expires_at IS NULL OR expires_at > \(now.storageMilliseconds))
            ORDER BY created_at, user_id
            """
        ).map(VoiceBan.init(row:))
    }

    public func voiceBan(of userID: UserID, in roomID: RoomID, at now: Date) async throws -> VoiceBan? {
        try await rows(
            """
            SELECT * FROM voice_bans WHERE room_id = \(roomID.rawValue) AND user_id = \(userID.rawValue)
                AND (expires_at IS NULL OR expires_at > \(now.storageMilliseconds))
            """
        ).first.map(VoiceBan.init(row:))
    }

    public func voiceRestrictions(in roomID: RoomID, at now: Date) async throws -> [VoiceRestrictionEntry] {
        try await rows(
            """
            SELECT user_id, kind, until FROM voice_restrictions WHERE room_id = \(roomID.rawValue) AND until > \(now.storageMilliseconds)
            ORDER BY user_id, kind
            """
        ).compactMap { row in
            try VoiceRestriction(rawValue: row.value("kind", as: String.self)).map {
                VoiceRestrictionEntry(userID: UserID(try row.value("user_id", as: Int64.self)), restriction: $0, until: try row.date("until"))
            }
        }
    }

    public func recordVoiceAudit(_ audit: AuditRecord, in roomID: RoomID) async throws {
        try await transaction { db in try await Self.record(audit, in: roomID, db) }
    }

    public func voiceSeatCounts(at now: Date) async throws -> [RoomID: Int] {
        var counts: [RoomID: Int] = [:]
        for row in try await rows(
            """
            SELECT room_id, count(*) AS seats FROM voice_seats WHERE state = 'joined' OR expires_at > \(now.storageMilliseconds)
            GROUP BY room_id
            """)
        {
            counts[RoomID(try row.value("room_id", as: Int64.self))] = Int(try row.value("seats", as: Int64.self))
        }
        return counts
    }

    // MARK: Rows

    static func dropLapsedReservations(in roomID: RoomID, at now: Date, _ db: Transaction) async throws {
        try await db.run(
            "DELETE FROM voice_seats WHERE room_id = \(roomID.rawValue) AND state = 'reserved' AND expires_at <= \(now.storageMilliseconds)")
    }

    static func queue(in roomID: RoomID, _ db: Transaction) async throws -> [VoiceQueueEntry] {
        try await db.rows("SELECT * FROM voice_queue WHERE room_id = \(roomID.rawValue) ORDER BY seq").enumerated().map { index, row in
            try VoiceQueueEntry(row: row, roomID: roomID, position: index + 1)
        }
    }

    /// The statement that writes one queue change; an entry goes after the room's last (the
    /// caller holds the room's lock, so no other entry takes the same place).
    static func query(for change: VoiceQueueRules.QueueChange) -> PostgresQuery {
        switch change {
        case .enqueue(let entry):
            return """
                INSERT INTO voice_queue (room_id, user_id, identity, listen_only, seq, enqueued_at)
                VALUES (\(entry.roomID.rawValue), \(entry.userID.rawValue), \(entry.identity), \(entry.isListenOnly),
                    (SELECT COALESCE(MAX(seq), 0) + 1 FROM voice_queue WHERE room_id = \(entry.roomID.rawValue)),
                    \(entry.enqueuedAt.storageMilliseconds))
                """
        case .dequeue(let roomID, let userID):
            return "DELETE FROM voice_queue WHERE room_id = \(roomID.rawValue) AND user_id = \(userID.rawValue)"
        }
    }
}

extension VoiceQueueEntry {
    init(row: PostgresRandomAccessRow, roomID: RoomID, position: Int) throws {
        self.init(
            roomID: roomID, userID: UserID(try row.value("user_id", as: Int64.self)), identity: try row.value("identity"),
            isListenOnly: try row.value("listen_only"), enqueuedAt: try row.date("enqueued_at"), position: position)
    }
}

extension VoiceBan {
    init(row: PostgresRandomAccessRow) throws {
        self.init(
            roomID: RoomID(try row.value("room_id", as: Int64.self)), userID: UserID(try row.value("user_id", as: Int64.self)),
            reason: try row.value("reason", as: String?.self), bannedBy: try row.value("banned_by", as: Int64?.self).map { UserID($0) },
            createdAt: try row.date("created_at"), expiresAt: try row.optionalDate("expires_at"))
    }
}
