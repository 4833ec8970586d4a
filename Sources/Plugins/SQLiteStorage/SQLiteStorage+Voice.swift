public import EchoPluginAPI
public import Foundation
import GRDB

extension SQLiteStorage {
    public func reserveSeat(_ request: SeatRequest, decide: @escaping @Sendable ([SubroomOccupancy]) -> SubroomDecision) async throws -> SeatOutcome {
        // SQLite has one writer at a time: the write transaction is the room's lock.
        try await perform { db in
            let now = request.now.storageMilliseconds
            try db.run(
                "DELETE FROM voice_seats WHERE room_id = ? AND state = 'reserved' AND expires_at <= ?", [request.roomID.rawValue, now])
            if var seat = try Self.seat(of: request.userID, in: request.roomID, db) {
                if seat.state == .reserved {
                    seat.expiresAt = request.expiresAt
                    seat.isListenOnly = request.isListenOnly
                    try db.run(
                        "UPDATE voice_seats SET expires_at = ?, listen_only = ?, updated_at = ? WHERE room_id = ? AND user_id = ?",
                        [
                            request.expiresAt.storageMilliseconds, request.isListenOnly, Date().storageMilliseconds, request.roomID.rawValue,
                            request.userID.rawValue,
                        ])
                }
                return .existing(seat)
            }
            let seats = try Self.seats(in: request.roomID, db)
            let decision = decide(Self.occupancy(of: seats))
            guard let index = decision.assignedIndex else { return .refused(decision.refusalReason ?? "no sub-room has space") }
            let seat = VoiceSeat(
                roomID: request.roomID, subroom: index, userID: request.userID, identity: request.identity, state: .reserved,
                isListenOnly: request.isListenOnly, reservedAt: request.now, expiresAt: request.expiresAt)
            try Self.insert(seat, db)
            return .reserved(seat)
        }
    }

    public func voiceSeats(in roomID: RoomID, at now: Date) async throws -> [VoiceSeat] {
        try await read { db in
            try Self.seats(in: roomID, db).filter { $0.state == .joined || ($0.expiresAt ?? .distantFuture) > now }
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
            let departed = try db.row(
                "SELECT 1 FROM voice_departures WHERE room_id = ? AND participant_sid = ?", [roomID.rawValue, participantSID])
            guard departed == nil else { return nil }
            let existing = try Self.seat(of: userID, in: roomID, db)
            if let existing, existing.state == .joined, existing.participantSID != participantSID,
                let current = existing.joinedAt, current > date
            {
                return nil  // a join older than the one holding the seat
            }
            var seat =
                existing
                ?? VoiceSeat(roomID: roomID, subroom: subroom, userID: userID, identity: identity, state: .joined, reservedAt: date)
            if seat.participantSID != participantSID { seat.publishing = [] }
            seat.subroom = subroom
            seat.identity = identity
            seat.state = .joined
            seat.participantSID = participantSID
            seat.expiresAt = nil
            seat.joinedAt = date
            try Self.deleteSeat(of: userID, in: roomID, db)
            try Self.insert(seat, db)
            return seat
        }
    }

    public func seatLeft(roomID: RoomID, subroom: Int, identity: String, participantSID: String) async throws -> Bool {
        try await perform { db in
            let now = Date().storageMilliseconds
            try db.run("DELETE FROM voice_departures WHERE departed_at < ?", [now - Self.departureMemoryMilliseconds])
            try db.run(
                "INSERT OR REPLACE INTO voice_departures (room_id, participant_sid, departed_at) VALUES (?, ?, ?)",
                [roomID.rawValue, participantSID, now])
            try db.run(
                "DELETE FROM voice_seats WHERE room_id = ? AND subroom = ? AND identity = ? AND participant_sid = ?",
                [roomID.rawValue, subroom, identity, participantSID])
            return db.changesCount > 0
        }
    }

    /// How long a departed sid is remembered: far longer than LiveKit delays a webhook (it drops
    /// events older than 30 s).
    static let departureMemoryMilliseconds: Int64 = 3_600_000

    public func setPublishing(
        _ source: TrackSource, _ published: Bool, roomID: RoomID, subroom: Int, identity: String, participantSID: String
    ) async throws -> Bool {
        try await perform { db in
            guard
                let seat = try db.row(
                    "SELECT * FROM voice_seats WHERE room_id = ? AND subroom = ? AND identity = ? AND participant_sid = ?",
                    [roomID.rawValue, subroom, identity, participantSID]
                ).map(VoiceSeat.init(row:))
            else { return false }
            var publishing = seat.publishing
            if published { publishing.insert(source) } else { publishing.remove(source) }
            guard publishing != seat.publishing else { return false }
            try db.run(
                "UPDATE voice_seats SET publishing = ?, updated_at = ? WHERE room_id = ? AND user_id = ?",
                [Self.encode(publishing), Date().storageMilliseconds, roomID.rawValue, seat.userID.rawValue])
            return true
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
            var changed = false
            let listed = listedAt.storageMilliseconds
            let present = Dictionary(participants.map { ($0.userID, $0) }, uniquingKeysWith: { first, _ in first })
            for row in try db.rows(
                "SELECT user_id, updated_at FROM voice_seats WHERE room_id = ? AND subroom = ? AND state = 'joined'", [roomID.rawValue, subroom])
            {
                let userID = UserID(rawValue: row["user_id"])
                let updated: Int64 = row["updated_at"]
                guard present[userID] == nil, updated < listed else { continue }
                try Self.deleteSeat(of: userID, in: roomID, db)
                changed = true
            }
            for participant in participants {
                let departed = try db.row(
                    "SELECT 1 FROM voice_departures WHERE room_id = ? AND participant_sid = ?", [roomID.rawValue, participant.participantSID])
                guard departed == nil else { continue }
                let row = try db.row("SELECT * FROM voice_seats WHERE room_id = ? AND user_id = ?", [roomID.rawValue, participant.userID.rawValue])
                if let row, (row["updated_at"] as Int64) >= listed { continue }
                let existing = row.map(VoiceSeat.init(row:))
                let seat = VoiceSeat(
                    roomID: roomID, subroom: subroom, userID: participant.userID, identity: participant.identity, state: .joined,
                    participantSID: participant.participantSID, publishing: participant.publishing,
                    isListenOnly: existing?.isListenOnly ?? false, reservedAt: existing?.reservedAt ?? listedAt,
                    joinedAt: existing?.participantSID == participant.participantSID ? existing?.joinedAt : listedAt)
                guard existing != seat else { continue }
                try Self.deleteSeat(of: participant.userID, in: roomID, db)
                try Self.insert(seat, db)
                changed = true
            }
            return changed
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

    // MARK: Rows

    static func seats(in roomID: RoomID, _ db: Database) throws -> [VoiceSeat] {
        try db.rows("SELECT * FROM voice_seats WHERE room_id = ? ORDER BY subroom, reserved_at, user_id", [roomID.rawValue])
            .map(VoiceSeat.init(row:))
    }

    static func seat(of userID: UserID, in roomID: RoomID, _ db: Database) throws -> VoiceSeat? {
        try db.row("SELECT * FROM voice_seats WHERE room_id = ? AND user_id = ?", [roomID.rawValue, userID.rawValue]).map(VoiceSeat.init(row:))
    }

    static func deleteSeat(of userID: UserID, in roomID: RoomID, _ db: Database) throws {
        try db.run("DELETE FROM voice_seats WHERE room_id = ? AND user_id = ?", [roomID.rawValue, userID.rawValue])
    }

    static func occupancy(of seats: [VoiceSeat]) -> [SubroomOccupancy] {
        Dictionary(grouping: seats, by: \.subroom).map { SubroomOccupancy(index: $0.key, seats: $0.value.map(\.subroomSeat)) }
            .sorted { $0.index < $1.index }
    }

    static func insert(_ seat: VoiceSeat, _ db: Database) throws {
        try db.run(
            """
            INSERT INTO voice_seats (room_id, user_id, subroom, identity, state, participant_sid, publishing, listen_only,
                reserved_at, expires_at, joined_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                seat.roomID.rawValue, seat.userID.rawValue, seat.subroom, seat.identity, seat.state.rawValue, seat.participantSID,
                encode(seat.publishing), seat.isListenOnly, seat.reservedAt.storageMilliseconds, seat.expiresAt?.storageMilliseconds,
                seat.joinedAt?.storageMilliseconds, Date().storageMilliseconds,
            ])
    }

    static func encode(_ sources: Set<TrackSource>) -> String {
        sources.map(\.rawValue).sorted().joined(separator: ",")
    }
}

extension VoiceSeat {
    init(row: Row) {
        let publishing: String = row["publishing"]
        self.init(
            roomID: RoomID(rawValue: row["room_id"]), subroom: row["subroom"], userID: UserID(rawValue: row["user_id"]),
            identity: row["identity"], state: SubroomSeat.State(rawValue: row["state"]) ?? .reserved,
            participantSID: row["participant_sid"],
            publishing: Set(publishing.split(separator: ",").compactMap { TrackSource(rawValue: String($0)) }),
            isListenOnly: row["listen_only"], reservedAt: Date(storageMilliseconds: row["reserved_at"]),
            expiresAt: (row["expires_at"] as Int64?).map(Date.init(storageMilliseconds:)),
            joinedAt: (row["joined_at"] as Int64?).map(Date.init(storageMilliseconds:)))
    }
}
