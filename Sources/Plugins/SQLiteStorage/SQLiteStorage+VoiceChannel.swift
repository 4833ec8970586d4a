public import EchoPluginAPI
public import Foundation
import GRDB

/// The voice channel's queue, seat moves and voice bans. SQLite has one writer at a time, so
/// each write transaction is the room's lock.
extension SQLiteStorage: VoiceChannelStore {
    public func reserveSeatOrQueue(
        _ request: SeatRequest, joinsQueue: Bool, bypassesQueue: Bool, decide: @escaping @Sendable ([SubroomOccupancy]) -> SubroomDecision
    ) async throws -> QueuedSeatOutcome {
        try await perform { db in
            try Self.dropLapsedReservations(in: request.roomID, at: request.now, db)
            let (outcome, change, queueChanges) = try VoiceQueueRules.reserveOrQueue(
                request, joinsQueue: joinsQueue, bypassesQueue: bypassesQueue, ownSeat: try Self.seat(of: request.userID, in: request.roomID, db),
                queue: try Self.queue(in: request.roomID, db), occupancy: try Self.seats(in: request.roomID, db), decide: decide)
            try change.map { try Self.apply($0, db) }
            for queueChange in queueChanges { try Self.apply(queueChange, db) }
            return outcome
        }
    }

    public func offerQueuedSeats(
        in roomID: RoomID, now: Date, expiresAt: Date, limit: Int,
        decide: @escaping @Sendable (VoiceQueueEntry, [SubroomOccupancy]) -> SubroomDecision
    ) async throws -> [VoiceSeat] {
        // Most passes find an empty queue: that costs a read, not a write transaction.
        guard try await read({ db in try db.row("SELECT 1 FROM voice_queue WHERE room_id = ? LIMIT 1", [roomID.rawValue]) != nil }) else {
            return []
        }
        return try await perform { db in
            let queue = try Self.queue(in: roomID, db)
            guard !queue.isEmpty else { return [] }
            try Self.dropLapsedReservations(in: roomID, at: now, db)
            let (offers, dequeued) = VoiceQueueRules.offer(
                queue: queue, seats: try Self.seats(in: roomID, db), now: now, expiresAt: expiresAt, limit: limit, decide: decide)
            for seat in offers { try Self.apply(.insert(seat), db) }
            for change in dequeued { try Self.apply(change, db) }
            return offers
        }
    }

    public func voiceQueue(in roomID: RoomID) async throws -> [VoiceQueueEntry] {
        try await read { db in try Self.queue(in: roomID, db) }
    }

    public func roomsWithVoiceQueues() async throws -> Set<RoomID> {
        try await read { db in
            Set(try db.rows("SELECT DISTINCT room_id FROM voice_queue").map { RoomID(rawValue: $0["room_id"]) })
        }
    }

    public func leaveVoiceQueue(of userID: UserID, in roomID: RoomID) async throws -> Bool {
        try await perform { db in
            try db.run("DELETE FROM voice_queue WHERE room_id = ? AND user_id = ?", [roomID.rawValue, userID.rawValue])
            return db.changesCount > 0
        }
    }

    public func leaveVoiceQueues(of userID: UserID) async throws -> Set<RoomID> {
        try await perform { db in
            let rooms = Set(try db.rows("SELECT room_id FROM voice_queue WHERE user_id = ?", [userID.rawValue]).map { RoomID(rawValue: $0["room_id"]) })
            try db.run("DELETE FROM voice_queue WHERE user_id = ?", [userID.rawValue])
            return rooms
        }
    }

    public func moveSeat(
        of userID: UserID, in roomID: RoomID, to subroom: Int, now: Date, expiresAt: Date, audit: AuditRecord?,
        admits: @escaping @Sendable ([SubroomOccupancy]) -> Bool
    ) async throws -> SeatMove {
        try await perform { db in
            let (move, change) = VoiceQueueRules.move(
                try Self.seat(of: userID, in: roomID, db), to: subroom, seats: try Self.seats(in: roomID, db), now: now, expiresAt: expiresAt,
                admits: admits)
            if let change {
                try Self.apply(change, db)
                try Self.record(audit, in: roomID, db)
            }
            return move
        }
    }

    public func banFromVoice(_ ban: VoiceBan, audit: AuditRecord?) async throws {
        try await perform { db in
            try db.run(
                "INSERT OR REPLACE INTO voice_bans (room_id, user_id, reason, banned_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                [
                    ban.roomID.rawValue, ban.userID.rawValue, ban.reason, ban.bannedBy?.rawValue, ban.createdAt.storageMilliseconds,
                    ban.expiresAt?.storageMilliseconds,
                ])
            try Self.record(audit, in: ban.roomID, db)
        }
    }

    public func liftVoiceBan(of userID: UserID, in roomID: RoomID, at now: Date, audit: AuditRecord?) async throws -> Bool {
        try await perform { db in
            let wasInForce = try Self.ban(of: userID, in: roomID, at: now, db) != nil
            try db.run("DELETE FROM voice_bans WHERE room_id = ? AND user_id = ?", [roomID.rawValue, userID.rawValue])
            if wasInForce { try Self.record(audit, in: roomID, db) }
            return wasInForce
        }
    }

    public func voiceBans(in roomID: RoomID, at now: Date) async throws -> [VoiceBan] {
        try await read { db in
            try db.rows(
                "SELECT * FROM voice_bans WHERE room_id = ? AND (expires_at IS NULL OR expires_at > ?) ORDER BY created_at, user_id",
                [roomID.rawValue, now.storageMilliseconds]
            ).map(VoiceBan.init(row:))
        }
    }

    public func voiceBan(of userID: UserID, in roomID: RoomID, at now: Date) async throws -> VoiceBan? {
        try await read { db in try Self.ban(of: userID, in: roomID, at: now, db) }
    }

    public func voiceRestrictions(in roomID: RoomID, at now: Date) async throws -> [VoiceRestrictionEntry] {
        try await read { db in
            try db.rows(
                "SELECT user_id, kind, until FROM voice_restrictions WHERE room_id = ? AND until > ? ORDER BY user_id, kind",
                [roomID.rawValue, now.storageMilliseconds]
            ).compactMap { row in
                VoiceRestriction(rawValue: row["kind"]).map {
                    VoiceRestrictionEntry(userID: UserID(rawValue: row["user_id"]), restriction: $0, until: Date(storageMilliseconds: row["until"]))
                }
            }
        }
    }

    public func recordVoiceAudit(_ audit: AuditRecord, in roomID: RoomID) async throws {
        try await perform { db in try Self.record(audit, in: roomID, db) }
    }

    public func voiceSeatCounts(at now: Date) async throws -> [RoomID: Int] {
        try await read { db in
            var counts: [RoomID: Int] = [:]
            for row in try db.rows(
                "SELECT room_id, count(*) AS seats FROM voice_seats WHERE state = 'joined' OR expires_at > ? GROUP BY room_id", [now.storageMilliseconds])
            {
                counts[RoomID(rawValue: row["room_id"])] = row["seats"]
            }
            return counts
        }
    }

    // MARK: Rows

    static func dropLapsedReservations(in roomID: RoomID, at now: Date, _ db: Database) throws {
        try db.run("DELETE FROM voice_seats WHERE room_id = ? AND state = 'reserved' AND expires_at <= ?", [roomID.rawValue, now.storageMilliseconds])
    }

    static func queue(in roomID: RoomID, _ db: Database) throws -> [VoiceQueueEntry] {
        try db.rows("SELECT * FROM voice_queue WHERE room_id = ? ORDER BY seq", [roomID.rawValue]).enumerated().map { index, row in
            VoiceQueueEntry(
                roomID: roomID, userID: UserID(rawValue: row["user_id"]), identity: row["identity"], isListenOnly: row["listen_only"],
                enqueuedAt: Date(storageMilliseconds: row["enqueued_at"]), position: index + 1)
        }
    }

    static func apply(_ change: VoiceQueueRules.QueueChange, _ db: Database) throws {
        switch change {
        case .enqueue(let entry):
            try db.run(
                """
                INSERT INTO voice_queue (room_id, user_id, identity, listen_only, seq, enqueued_at)
                VALUES (?, ?, ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM voice_queue WHERE room_id = ?), ?)
                """,
                [
                    entry.roomID.rawValue, entry.userID.rawValue, entry.identity, entry.isListenOnly, entry.roomID.rawValue,
                    entry.enqueuedAt.storageMilliseconds,
                ])
        case .dequeue(let roomID, let userID):
            try db.run("DELETE FROM voice_queue WHERE room_id = ? AND user_id = ?", [roomID.rawValue, userID.rawValue])
        }
    }

    static func ban(of userID: UserID, in roomID: RoomID, at now: Date, _ db: Database) throws -> VoiceBan? {
        try db.row(
            "SELECT * FROM voice_bans WHERE room_id = ? AND user_id = ? AND (expires_at IS NULL OR expires_at > ?)",
            [roomID.rawValue, userID.rawValue, now.storageMilliseconds]
        ).map(VoiceBan.init(row:))
    }
}

extension VoiceBan {
    init(row: Row) {
        self.init(
            roomID: RoomID(rawValue: row["room_id"]), userID: UserID(rawValue: row["user_id"]), reason: row["reason"],
            bannedBy: (row["banned_by"] as Int64?).map(UserID.init(rawValue:)), createdAt: Date(storageMilliseconds: row["created_at"]),
            expiresAt: (row["expires_at"] as Int64?).map(Date.init(storageMilliseconds:)))
    }
}
