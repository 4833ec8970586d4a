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
                    "SELECT \(unescaped: Self.seatColumns) FROM voice_seats WHERE room_id = \(room)",
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
        let (outcome, change) = try SeatTransitions.reserve(
            request: request, ownSeat: try ownSeat.rows.first.map { try VoiceSeat(row: $0.makeRandomAccess()) },
            occupancy: try occupancy.rows.map(VoiceSeat.init(columns:)), decide: decide)
        return (outcome, change.map(query(for:)))
    }

    public func voiceSeats(in roomID: RoomID, at now: Date) async throws -> [VoiceSeat] {
        let query: PostgresQuery = """
            SELECT \(unescaped: Self.seatColumns) FROM voice_seats
            WHERE room_id = \(roomID.rawValue) AND (state = 'joined' OR expires_at > \(now.storageMilliseconds))
            ORDER BY subroom, reserved_at, user_id
            """
        // Decoded by position: a busy room's occupancy is read after every change to it.
        return try await withDeadline { [client, logger] in
            try await client.query(query, logger: logger).collect().map(VoiceSeat.init(columns:))
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
            let change = SeatTransitions.joined(
                roomID: roomID, subroom: subroom, userID: userID, identity: identity, participantSID: participantSID, at: date,
                existing: try await Self.seat(of: userID, in: roomID, db), hasLeft: try await Self.hasDeparted(participantSID, from: roomID, db))
            if let change { try await db.run(Self.query(for: change)) }
            return change?.seat
        }
    }

    public func seatLeft(roomID: RoomID, subroom: Int, identity: String, participantSID: String) async throws -> Bool {
        try await transaction { db in
            // The room's lock orders this against a join of the same sid on another instance.
            try await Self.lockRoom(roomID, db)
            let forgotten = Date().addingTimeInterval(-SeatTransitions.departureMemory).storageMilliseconds
            try await db.run("DELETE FROM voice_departures WHERE departed_at < \(forgotten)")
            let changes = SeatTransitions.left(
                roomID: roomID, subroom: subroom, identity: identity, participantSID: participantSID,
                seats: try await Self.seats(of: participantSID, in: roomID, db))
            for change in changes { try await db.run(Self.query(for: change)) }
            return changes.contains(where: \.isDelete)
        }
    }

    public func setPublishing(
        _ source: TrackSource, _ published: Bool, roomID: RoomID, subroom: Int, identity: String, participantSID: String
    ) async throws -> Bool {
        try await transaction { db in
            try await Self.lockRoom(roomID, db)
            let change = SeatTransitions.publishing(
                source, published, subroom: subroom, identity: identity, participantSID: participantSID,
                seats: try await Self.seats(of: participantSID, in: roomID, db))
            if let change { try await db.run(Self.query(for: change)) }
            return change != nil
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
            var departed: Set<String> = []
            for participant in participants {
                if try await Self.hasDeparted(participant.participantSID, from: roomID, db) { departed.insert(participant.participantSID) }
            }
            let seats = try await db.rows("SELECT * FROM voice_seats WHERE room_id = \(roomID.rawValue)").map {
                StoredSeat(try VoiceSeat(row: $0), updatedAt: try $0.date("updated_at"))
            }
            let changes = SeatTransitions.reconcile(
                roomID: roomID, subroom: subroom, participants: participants,
                listedAt: Date(storageMilliseconds: listedAt.storageMilliseconds), seats: seats, departed: departed)
            for change in changes { try await db.run(Self.query(for: change)) }
            return !changes.isEmpty
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
}
