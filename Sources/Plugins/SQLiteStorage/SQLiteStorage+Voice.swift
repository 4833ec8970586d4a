public import EchoPluginAPI
public import Foundation
import GRDB

extension SQLiteStorage {
    public func reserveSeat(_ request: SeatRequest, decide: @escaping @Sendable ([SubroomOccupancy]) -> SubroomDecision) async throws -> SeatOutcome {
        // SQLite has one writer at a time: the write transaction is the room's lock.
        try await perform { db in
            try db.run(
                "DELETE FROM voice_seats WHERE room_id = ? AND state = 'reserved' AND expires_at <= ?",
                [request.roomID.rawValue, request.now.storageMilliseconds])
            let (outcome, change) = try SeatTransitions.reserve(
                request: request, ownSeat: try Self.seat(of: request.userID, in: request.roomID, db),
                occupancy: try Self.seats(in: request.roomID, db), decide: decide)
            try change.map { try Self.apply($0, db) }
            return outcome
        }
    }

    public func voiceSeats(in roomID: RoomID, at now: Date) async throws -> [VoiceSeat] {
        try await read { db in
            try Self.seats(in: roomID, db).filter { SeatTransitions.isLive($0, at: now) }
        }
    }

    public func occupiedSubrooms(at now: Date) async throws -> [RoomID: Set<Int>] {
        try await read { db in
            var result: [RoomID: Set<Int>] = [:]
            for row in try db.rows(
                "SELECT DISTINCT room_id, subroom FROM voice_seats WHERE state = 'joined' OR expires_at > ?", [now.storageMilliseconds])
            {
                result[RoomID(rawValue: row["room_id"]), default: []].insert(row["subroom"])
            }
            return result
        }
    }

    public func seatJoined(
        roomID: RoomID, subroom: Int, userID: UserID, identity: String, participantSID: String, at date: Date
    ) async throws -> VoiceSeat? {
        try await perform { db in
            let change = SeatTransitions.joined(
                roomID: roomID, subroom: subroom, userID: userID, identity: identity, participantSID: participantSID, at: date,
                existing: try Self.seat(of: userID, in: roomID, db), hasLeft: try Self.hasDeparted(participantSID, from: roomID, db))
            try change.map { try Self.apply($0, db) }
            return change?.seat
        }
    }

    public func seatLeft(roomID: RoomID, subroom: Int, identity: String, participantSID: String) async throws -> Bool {
        try await perform { db in
            let forgotten = Date().addingTimeInterval(-SeatTransitions.departureMemory)
            try db.run("DELETE FROM voice_departures WHERE departed_at < ?", [forgotten.storageMilliseconds])
            let changes = SeatTransitions.left(
                roomID: roomID, subroom: subroom, identity: identity, participantSID: participantSID,
                seats: try Self.seats(of: participantSID, in: roomID, db))
            for change in changes { try Self.apply(change, db) }
            return changes.contains(where: \.isDelete)
        }
    }

    public func setPublishing(
        _ source: TrackSource, _ published: Bool, roomID: RoomID, subroom: Int, identity: String, participantSID: String
    ) async throws -> Bool {
        try await perform { db in
            let change = SeatTransitions.publishing(
                source, published, subroom: subroom, identity: identity, participantSID: participantSID,
                seats: try Self.seats(of: participantSID, in: roomID, db))
            try change.map { try Self.apply($0, db) }
            return change != nil
        }
    }

    public func clearJoinedSeats(roomID: RoomID, subroom: Int) async throws -> Int {
        try await perform { db in
            try db.run("DELETE FROM voice_seats WHERE room_id = ? AND subroom = ? AND state = 'joined'", [roomID.rawValue, subroom])
            return db.changesCount
        }
    }

    public func reconcileSeats(roomID: RoomID, subroom: Int, participants: [VoiceParticipant], listedAt: Date) async throws -> Bool {
        try await perform { db in
            var departed: Set<String> = []
            for participant in participants {
                if try Self.hasDeparted(participant.participantSID, from: roomID, db) { departed.insert(participant.participantSID) }
            }
            let seats = try db.rows("SELECT * FROM voice_seats WHERE room_id = ?", [roomID.rawValue]).map {
                StoredSeat(VoiceSeat(row: $0), updatedAt: Date(storageMilliseconds: $0["updated_at"]))
            }
            let changes = SeatTransitions.reconcile(
                roomID: roomID, subroom: subroom, participants: participants,
                listedAt: Date(storageMilliseconds: listedAt.storageMilliseconds), seats: seats, departed: departed)
            for change in changes { try Self.apply(change, db) }
            return !changes.isEmpty
        }
    }

    public func recordWebhookEvent(_ id: String, at date: Date, pruneBefore: Date) async throws -> Bool {
        try await perform { db in
            try db.run("DELETE FROM webhook_events WHERE received_at < ?", [pruneBefore.storageMilliseconds])
            try db.run("INSERT OR IGNORE INTO webhook_events (id, received_at) VALUES (?, ?)", [id, date.storageMilliseconds])
            return db.changesCount > 0
        }
    }

    public func forgetWebhookEvent(_ id: String) async throws {
        try await perform { db in try db.run("DELETE FROM webhook_events WHERE id = ?", [id]) }
    }

    public func releaseSeat(of userID: UserID, in roomID: RoomID) async throws -> VoiceSeat? {
        try await perform { db in
            let seat = try Self.seat(of: userID, in: roomID, db)
            try Self.deleteSeat(of: userID, in: roomID, db)
            return seat
        }
    }

    public func restrictVoice(
        _ restriction: VoiceRestriction, of userID: UserID, in roomID: RoomID, until: Date, audit: AuditRecord?
    ) async throws {
        try await perform { db in
            try db.run(
                "INSERT OR REPLACE INTO voice_restrictions (room_id, user_id, kind, until) VALUES (?, ?, ?, ?)",
                [roomID.rawValue, userID.rawValue, restriction.rawValue, until.storageMilliseconds])
            try Self.record(audit, in: roomID, db)
        }
    }

    public func voiceRestrictions(of userID: UserID, in roomID: RoomID, at now: Date) async throws -> Set<VoiceRestriction> {
        try await read { db in try Self.restrictions(of: userID, in: roomID, at: now, db) }
    }

    static func restrictions(of userID: UserID, in roomID: RoomID, at now: Date, _ db: Database) throws -> Set<VoiceRestriction> {
        Set(
            try db.rows(
                "SELECT kind FROM voice_restrictions WHERE room_id = ? AND user_id = ? AND until > ?",
                [roomID.rawValue, userID.rawValue, now.storageMilliseconds]
            ).compactMap { VoiceRestriction(rawValue: $0["kind"]) })
    }
}
