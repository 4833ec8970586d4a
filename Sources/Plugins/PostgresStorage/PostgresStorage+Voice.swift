public import EchoPluginAPI
public import Foundation
import Logging
import NIOCore
import PostgresNIO

extension PostgresStorage {
    public func reserveSeat(_ request: SeatRequest, decide: @escaping @Sendable ([SubroomOccupancy]) -> SubroomDecision) async throws -> SeatOutcome {
        // The room row's lock makes read-occupancy, decide and insert one step for every
        // instance sharing the database. While it is held nothing waits for a task to be
        // scheduled: the statements are queued on the connection at once (its event loop sends
        // each as soon as the previous one is answered), and the strategy's decision and the
        // write run on that event loop as soon as the reads arrive. A busy instance thus does
        // not stretch the lock for everyone else by its scheduling delays.
        let room = request.roomID.rawValue
        let user = request.userID.rawValue
        let now = request.now.storageMilliseconds
        return try await withDeadline { [client, logger] in
            try await client.withConnection { connection in
                let reads: [PostgresQuery] = [
                    "BEGIN",
                    "SELECT id FROM rooms WHERE id = \(room) FOR NO KEY UPDATE",
                    "DELETE FROM voice_seats WHERE room_id = \(room) AND state = 'reserved' AND expires_at <= \(now)",
                    "SELECT * FROM voice_seats WHERE room_id = \(room) AND user_id = \(user)",
                    """
                    SELECT subroom, user_id, state, publishing, listen_only FROM voice_seats WHERE room_id = \(room)
                    ORDER BY subroom, reserved_at, user_id
                    """,
                ]
                let loop = connection.eventLoop
                let sent = reads.map { query -> EventLoopFuture<PostgresQueryResult> in connection.query(query, logger: logger) }
                let done = EventLoopFuture.whenAllSucceed(sent, on: loop).flatMap { results -> EventLoopFuture<SeatOutcome> in
                    let outcome: SeatOutcome
                    var write: PostgresQuery?
                    do {
                        (outcome, write) = try Self.decideSeat(request, lockedRoom: results[1], ownSeat: results[3], occupancy: results[4], decide: decide)
                    } catch {
                        return loop.makeFailedFuture(error)
                    }
                    let written = write.map { connection.query($0, logger: logger).map { _ in () } } ?? loop.makeSucceededVoidFuture()
                    let committed = connection.query("COMMIT", logger: logger)
                    return written.and(committed).map { _ in outcome }
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

    /// The decision inside ``reserveSeat(_:decide:)``: the outcome, and the statement that
    /// records it (none when the user's seat stays as it is or the strategy refuses).
    static func decideSeat(
        _ request: SeatRequest, lockedRoom: PostgresQueryResult, ownSeat: PostgresQueryResult, occupancy: PostgresQueryResult,
        decide: @Sendable ([SubroomOccupancy]) -> SubroomDecision
    ) throws -> (SeatOutcome, PostgresQuery?) {
        guard !lockedRoom.rows.isEmpty else { throw StorageError.notFound("no room with id \(request.roomID)") }
        if var seat = try ownSeat.rows.first.map({ try VoiceSeat(row: $0.makeRandomAccess()) }) {
            guard seat.state == .reserved else { return (.existing(seat), nil) }
            seat.expiresAt = request.expiresAt
            seat.isListenOnly = request.isListenOnly
            return (
                .existing(seat),
                """
                UPDATE voice_seats SET expires_at = \(request.expiresAt.storageMilliseconds), listen_only = \(request.isListenOnly),
                    updated_at = \(Date().storageMilliseconds)
                WHERE room_id = \(request.roomID.rawValue) AND user_id = \(request.userID.rawValue)
                """
            )
        }
        let decision = decide(try Self.occupancy(from: occupancy.rows))
        guard let index = decision.assignedIndex else { return (.refused(decision.refusalReason ?? "no sub-room has space"), nil) }
        let seat = VoiceSeat(
            roomID: request.roomID, subroom: index, userID: request.userID, identity: request.identity, state: .reserved,
            isListenOnly: request.isListenOnly, reservedAt: request.now, expiresAt: request.expiresAt)
        return (.reserved(seat), insertQuery(seat))
    }

    /// The room's seats as the strategy sees them, from `subroom, user_id, state, publishing,
    /// listen_only` rows decoded by position.
    static func occupancy(from rows: [PostgresRow]) throws -> [SubroomOccupancy] {
        var bySubroom: [Int: [SubroomSeat]] = [:]
        for row in rows {
            let (subroom, user, state, publishing, listenOnly) = try row.decode((Int64, Int64, String, String, Bool).self)
            bySubroom[Int(subroom), default: []].append(
                SubroomSeat(
                    userID: UserID(user), state: SubroomSeat.State(rawValue: state) ?? .reserved,
                    publishing: decode(publishing),
                    isListenOnly: listenOnly))
        }
        return bySubroom.map { SubroomOccupancy(index: $0.key, seats: $0.value) }.sorted { $0.index < $1.index }
    }

    public func voiceSeats(in roomID: RoomID, at now: Date) async throws -> [VoiceSeat] {
        let query: PostgresQuery = """
            SELECT room_id, subroom, user_id, identity, state, participant_sid, publishing, listen_only, reserved_at, expires_at, joined_at
            FROM voice_seats WHERE room_id = \(roomID.rawValue) AND (state = 'joined' OR expires_at > \(now.storageMilliseconds))
            ORDER BY subroom, reserved_at, user_id
            """
        // Decoded by position: a busy room's occupancy is read after every change to it.
        return try await withDeadline { [client, logger] in
            try await client.query(query, logger: logger).collect().map { row in
                let (room, subroom, user, identity, state, sid, publishing, listenOnly, reserved, expires, joined) = try row.decode(
                    (Int64, Int64, Int64, String, String, String?, String, Bool, Int64, Int64?, Int64?).self)
                return VoiceSeat(
                    roomID: RoomID(room), subroom: Int(subroom), userID: UserID(user), identity: identity,
                    state: SubroomSeat.State(rawValue: state) ?? .reserved, participantSID: sid, publishing: Self.decode(publishing),
                    isListenOnly: listenOnly, reservedAt: Date(storageMilliseconds: reserved), expiresAt: expires.map(Date.init(storageMilliseconds:)),
                    joinedAt: joined.map(Date.init(storageMilliseconds:)))
            }
        }
    }

    public func occupiedSubrooms(at now: Date) async throws -> [RoomID: Set<Int>] {
        var result: [RoomID: Set<Int>] = [:]
        for row in try await rows(
            "SELECT DISTINCT room_id, subroom FROM voice_seats WHERE state = 'joined' OR expires_at > \(now.storageMilliseconds)")
        {
            result[RoomID(try row.value("room_id", as: Int64.self)), default: []].insert(Int(try row.value("subroom", as: Int64.self)))
        }
        return result
    }

    public func seatJoined(
        roomID: RoomID, subroom: Int, userID: UserID, identity: String, participantSID: String, at date: Date
    ) async throws -> VoiceSeat? {
        try await transaction { db in
            try await Self.lockRoom(roomID, db)
            guard try await !Self.hasDeparted(participantSID, from: roomID, db) else { return nil }
            let existing = try await Self.seat(of: userID, in: roomID, db)
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
            try await Self.deleteSeat(of: userID, in: roomID, db)
            try await Self.insert(seat, db)
            return seat
        }
    }

    public func seatLeft(roomID: RoomID, subroom: Int, identity: String, participantSID: String) async throws -> Bool {
        try await transaction { db in
            // The room's lock orders this against a join of the same sid on another instance.
            try await Self.lockRoom(roomID, db)
            let now = Date().storageMilliseconds
            try await db.run("DELETE FROM voice_departures WHERE departed_at < \(now - Self.departureMemoryMilliseconds)")
            try await db.run(
                """
                INSERT INTO voice_departures (room_id, participant_sid, departed_at) VALUES (\(roomID.rawValue), \(participantSID), \(now))
                ON CONFLICT (room_id, participant_sid) DO UPDATE SET departed_at = excluded.departed_at
                """)
            return try await db.row(
                """
                DELETE FROM voice_seats WHERE room_id = \(roomID.rawValue) AND subroom = \(Int64(subroom)) AND identity = \(identity)
                    AND participant_sid = \(participantSID)
                RETURNING 1
                """) != nil
        }
    }

    /// How long a departed sid is remembered: far longer than LiveKit delays a webhook (it drops
    /// events older than 30 s).
    static let departureMemoryMilliseconds: Int64 = 3_600_000

    public func setPublishing(
        _ source: TrackSource, _ published: Bool, roomID: RoomID, subroom: Int, identity: String, participantSID: String
    ) async throws -> Bool {
        try await transaction { db in
            try await Self.lockRoom(roomID, db)
            guard
                let seat = try await db.row(
                    """
                    SELECT * FROM voice_seats WHERE room_id = \(roomID.rawValue) AND subroom = \(Int64(subroom)) AND identity = \(identity)
                        AND participant_sid = \(participantSID)
                    FOR UPDATE
                    """
                ).map(VoiceSeat.init(row:))
            else { return false }
            var publishing = seat.publishing
            if published { publishing.insert(source) } else { publishing.remove(source) }
            guard publishing != seat.publishing else { return false }
            try await db.run(
                """
                UPDATE voice_seats SET publishing = \(Self.encode(publishing)), updated_at = \(Date().storageMilliseconds)
                WHERE room_id = \(roomID.rawValue) AND user_id = \(seat.userID.rawValue)
                """)
            return true
        }
    }

    public func clearJoinedSeats(roomID: RoomID, subroom: Int) async throws -> Int {
        try await rows(
            "DELETE FROM voice_seats WHERE room_id = \(roomID.rawValue) AND subroom = \(Int64(subroom)) AND state = 'joined' RETURNING 1"
        ).count
    }

    public func reconcileSeats(roomID: RoomID, subroom: Int, participants: [VoiceParticipant], listedAt: Date) async throws -> Bool {
        try await transaction { db in
            try await Self.lockRoom(roomID, db)
            var changed = false
            let listed = listedAt.storageMilliseconds
            let present = Dictionary(participants.map { ($0.userID, $0) }, uniquingKeysWith: { first, _ in first })
            for row in try await db.rows(
                """
                SELECT user_id, updated_at FROM voice_seats WHERE room_id = \(roomID.rawValue) AND subroom = \(Int64(subroom))
                    AND state = 'joined'
                """)
            {
                let userID = UserID(try row.value("user_id", as: Int64.self))
                let updated = try row.value("updated_at", as: Int64.self)
                guard present[userID] == nil, updated < listed else { continue }
                try await Self.deleteSeat(of: userID, in: roomID, db)
                changed = true
            }
            for participant in participants {
                guard try await !Self.hasDeparted(participant.participantSID, from: roomID, db) else { continue }
                let row = try await db.row(
                    "SELECT * FROM voice_seats WHERE room_id = \(roomID.rawValue) AND user_id = \(participant.userID.rawValue)")
                if let row, try row.value("updated_at", as: Int64.self) >= listed { continue }
                let existing = try row.map(VoiceSeat.init(row:))
                let seat = VoiceSeat(
                    roomID: roomID, subroom: subroom, userID: participant.userID, identity: participant.identity, state: .joined,
                    participantSID: participant.participantSID, publishing: participant.publishing,
                    isListenOnly: existing?.isListenOnly ?? false, reservedAt: existing?.reservedAt ?? listedAt,
                    joinedAt: existing?.participantSID == participant.participantSID ? existing?.joinedAt : listedAt)
                guard existing != seat else { continue }
                try await Self.deleteSeat(of: participant.userID, in: roomID, db)
                try await Self.insert(seat, db)
                changed = true
            }
            return changed
        }
    }

    public func recordWebhookEvent(_ id: String, at date: Date, pruneBefore: Date) async throws -> Bool {
        try await transaction { db in
            try await db.run("DELETE FROM webhook_events WHERE received_at < \(pruneBefore.storageMilliseconds)")
            return try await db.row(
                "INSERT INTO webhook_events (id, received_at) VALUES (\(id), \(date.storageMilliseconds)) ON CONFLICT DO NOTHING RETURNING 1"
            ) != nil
        }
    }

    public func forgetWebhookEvent(_ id: String) async throws {
        _ = try await rows("DELETE FROM webhook_events WHERE id = \(id)")
    }

    public func releaseSeat(of userID: UserID, in roomID: RoomID) async throws -> VoiceSeat? {
        try await row("DELETE FROM voice_seats WHERE room_id = \(roomID.rawValue) AND user_id = \(userID.rawValue) RETURNING *")
            .map(VoiceSeat.init(row:))
    }

    public func restrictVoice(
        _ restriction: VoiceRestriction, of userID: UserID, in roomID: RoomID, until: Date, audit: AuditRecord?
    ) async throws {
        try await transaction { db in
            try await db.run(
                """
                INSERT INTO voice_restrictions (room_id, user_id, kind, until)
                VALUES (\(roomID.rawValue), \(userID.rawValue), \(restriction.rawValue), \(until.storageMilliseconds))
                ON CONFLICT (room_id, user_id, kind) DO UPDATE SET until = excluded.until
                """)
            try await Self.record(audit, in: roomID, db)
        }
    }

    public func voiceRestrictions(of userID: UserID, in roomID: RoomID, at now: Date) async throws -> Set<VoiceRestriction> {
        Set(
            try await rows(
                """
                SELECT kind FROM voice_restrictions WHERE room_id = \(roomID.rawValue) AND user_id = \(userID.rawValue)
                    AND until > \(now.storageMilliseconds)
                """
            ).compactMap { VoiceRestriction(rawValue: try $0.value("kind", as: String.self)) })
    }

    // MARK: Rows

    static func seat(of userID: UserID, in roomID: RoomID, _ db: Transaction) async throws -> VoiceSeat? {
        try await db.row("SELECT * FROM voice_seats WHERE room_id = \(roomID.rawValue) AND user_id = \(userID.rawValue)")
            .map(VoiceSeat.init(row:))
    }

    static func hasDeparted(_ participantSID: String, from roomID: RoomID, _ db: Transaction) async throws -> Bool {
        try await db.row("SELECT 1 FROM voice_departures WHERE room_id = \(roomID.rawValue) AND participant_sid = \(participantSID)") != nil
    }

    static func deleteSeat(of userID: UserID, in roomID: RoomID, _ db: Transaction) async throws {
        try await db.run("DELETE FROM voice_seats WHERE room_id = \(roomID.rawValue) AND user_id = \(userID.rawValue)")
    }

    static func insert(_ seat: VoiceSeat, _ db: Transaction) async throws {
        try await db.run(insertQuery(seat))
    }

    static func insertQuery(_ seat: VoiceSeat) -> PostgresQuery {
        """
            INSERT INTO voice_seats (room_id, user_id, subroom, identity, state, participant_sid, publishing, listen_only,
                reserved_at, expires_at, joined_at, updated_at)
            VALUES (\(seat.roomID.rawValue), \(seat.userID.rawValue), \(Int64(seat.subroom)), \(seat.identity), \(seat.state.rawValue),
                \(seat.participantSID), \(encode(seat.publishing)), \(seat.isListenOnly), \(seat.reservedAt.storageMilliseconds),
                \(seat.expiresAt?.storageMilliseconds), \(seat.joinedAt?.storageMilliseconds), \(Date().storageMilliseconds))
            """
    }

    static func encode(_ sources: Set<TrackSource>) -> String {
        sources.map(\.rawValue).sorted().joined(separator: ",")
    }

    static func decode(_ sources: String) -> Set<TrackSource> {
        sources.isEmpty ? [] : Set(sources.split(separator: ",").compactMap { TrackSource(rawValue: String($0)) })
    }
}

extension VoiceSeat {
    init(row: PostgresRandomAccessRow) throws {
        let publishing = try row.value("publishing", as: String.self)
        self.init(
            roomID: RoomID(try row.value("room_id", as: Int64.self)), subroom: Int(try row.value("subroom", as: Int64.self)),
            userID: UserID(try row.value("user_id", as: Int64.self)), identity: try row.value("identity"),
            state: SubroomSeat.State(rawValue: try row.value("state")) ?? .reserved, participantSID: try row.value("participant_sid"),
            publishing: Set(publishing.split(separator: ",").compactMap { TrackSource(rawValue: String($0)) }),
            isListenOnly: try row.value("listen_only"), reservedAt: try row.date("reserved_at"), expiresAt: try row.optionalDate("expires_at"),
            joinedAt: try row.optionalDate("joined_at"))
    }
}
