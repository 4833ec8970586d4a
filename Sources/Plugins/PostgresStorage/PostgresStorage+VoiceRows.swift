import EchoPluginAPI
import Foundation
import PostgresNIO

/// The voice seat rows: what ``SeatTransitions`` reads, and its changes written as SQL.
extension PostgresStorage {
    /// The columns ``VoiceSeat/init(columns:)`` decodes, in its order.
    static let seatColumns =
        "room_id, subroom, user_id, identity, state, participant_sid, publishing, listen_only, reserved_at, expires_at, joined_at"

    static func seat(of userID: UserID, in roomID: RoomID, _ db: Transaction) async throws -> VoiceSeat? {
        try await db.row("SELECT * FROM voice_seats WHERE room_id = \(roomID.rawValue) AND user_id = \(userID.rawValue)")
            .map(VoiceSeat.init(row:))
    }

    /// The seats `participantSID` holds in the room (one, unless something went wrong), locked for the transaction.
    static func seats(of participantSID: String, in roomID: RoomID, _ db: Transaction) async throws -> [VoiceSeat] {
        try await db.rows(
            "SELECT * FROM voice_seats WHERE room_id = \(roomID.rawValue) AND participant_sid = \(participantSID) FOR UPDATE"
        ).map(VoiceSeat.init(row:))
    }

    static func hasDeparted(_ participantSID: String, from roomID: RoomID, _ db: Transaction) async throws -> Bool {
        try await db.row("SELECT 1 FROM voice_departures WHERE room_id = \(roomID.rawValue) AND participant_sid = \(participantSID)") != nil
    }

    /// The statement that writes one change, stamping the seat row as changed now.
    static func query(for change: SeatChange) -> PostgresQuery {
        let now = Date().storageMilliseconds
        switch change {
        case .insert(let seat):
            return """
                INSERT INTO voice_seats (room_id, user_id, subroom, identity, state, participant_sid, publishing, listen_only,
                    reserved_at, expires_at, joined_at, updated_at)
                VALUES (\(seat.roomID.rawValue), \(seat.userID.rawValue), \(Int64(seat.subroom)), \(seat.identity), \(seat.state.rawValue),
                    \(seat.participantSID), \(encode(seat.publishing)), \(seat.isListenOnly), \(seat.reservedAt.storageMilliseconds),
                    \(seat.expiresAt?.storageMilliseconds), \(seat.joinedAt?.storageMilliseconds), \(now))
                """
        case .update(let seat):
            return """
                UPDATE voice_seats SET subroom = \(Int64(seat.subroom)), identity = \(seat.identity), state = \(seat.state.rawValue),
                    participant_sid = \(seat.participantSID), publishing = \(encode(seat.publishing)), listen_only = \(seat.isListenOnly),
                    reserved_at = \(seat.reservedAt.storageMilliseconds), expires_at = \(seat.expiresAt?.storageMilliseconds),
                    joined_at = \(seat.joinedAt?.storageMilliseconds), updated_at = \(now)
                WHERE room_id = \(seat.roomID.rawValue) AND user_id = \(seat.userID.rawValue)
                """
        case .delete(let seat):
            return "DELETE FROM voice_seats WHERE room_id = \(seat.roomID.rawValue) AND user_id = \(seat.userID.rawValue)"
        case .rememberDeparture(let roomID, let participantSID):
            return """
                INSERT INTO voice_departures (room_id, participant_sid, departed_at) VALUES (\(roomID.rawValue), \(participantSID), \(now))
                ON CONFLICT (room_id, participant_sid) DO UPDATE SET departed_at = excluded.departed_at
                """
        }
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

    /// A row of ``PostgresStorage/seatColumns``, decoded by position: a busy room's seats are read
    /// after every change to it.
    init(columns row: PostgresRow) throws {
        let (room, subroom, user, identity, state, sid, publishing, listenOnly, reserved, expires, joined) = try row.decode(
            (Int64, Int64, Int64, String, String, String?, String, Bool, Int64, Int64?, Int64?).self)
        self.init(
            roomID: RoomID(room), subroom: Int(subroom), userID: UserID(user), identity: identity,
            state: SubroomSeat.State(rawValue: state) ?? .reserved, participantSID: sid, publishing: PostgresStorage.decode(publishing),
            isListenOnly: listenOnly, reservedAt: Date(storageMilliseconds: reserved), expiresAt: expires.map(Date.init(storageMilliseconds:)),
            joinedAt: joined.map(Date.init(storageMilliseconds:)))
    }
}
