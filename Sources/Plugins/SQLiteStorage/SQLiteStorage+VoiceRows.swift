import EchoPluginAPI
import Foundation
import GRDB

/// The voice seat rows: what ``SeatTransitions`` reads, and its changes written as SQL.
extension SQLiteStorage {
    static func seats(in roomID: RoomID, _ db: Database) throws -> [VoiceSeat] {
        try db.rows("SELECT * FROM voice_seats WHERE room_id = ? ORDER BY subroom, reserved_at, user_id", [roomID.rawValue])
            .map(VoiceSeat.init(row:))
    }

    static func seat(of userID: UserID, in roomID: RoomID, _ db: Database) throws -> VoiceSeat? {
        try db.row("SELECT * FROM voice_seats WHERE room_id = ? AND user_id = ?", [roomID.rawValue, userID.rawValue]).map(VoiceSeat.init(row:))
    }

    /// The seats `participantSID` holds in the room (one, unless something went wrong).
    static func seats(of participantSID: String, in roomID: RoomID, _ db: Database) throws -> [VoiceSeat] {
        try db.rows("SELECT * FROM voice_seats WHERE room_id = ? AND participant_sid = ?", [roomID.rawValue, participantSID])
            .map(VoiceSeat.init(row:))
    }

    static func hasDeparted(_ participantSID: String, from roomID: RoomID, _ db: Database) throws -> Bool {
        try db.row("SELECT 1 FROM voice_departures WHERE room_id = ? AND participant_sid = ?", [roomID.rawValue, participantSID]) != nil
    }

    static func deleteSeat(of userID: UserID, in roomID: RoomID, _ db: Database) throws {
        try db.run("DELETE FROM voice_seats WHERE room_id = ? AND user_id = ?", [roomID.rawValue, userID.rawValue])
    }

    /// Writes one change, stamping the seat row as changed now.
    static func apply(_ change: SeatChange, _ db: Database) throws {
        let now = Date().storageMilliseconds
        switch change {
        case .insert(let seat):
            try db.run(
                """
                INSERT INTO voice_seats (room_id, user_id, subroom, identity, state, participant_sid, publishing, listen_only,
                    reserved_at, expires_at, joined_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [seat.roomID.rawValue, seat.userID.rawValue] + columns(of: seat) + [now])
        case .update(let seat):
            try db.run(
                """
                UPDATE voice_seats SET subroom = ?, identity = ?, state = ?, participant_sid = ?, publishing = ?, listen_only = ?,
                    reserved_at = ?, expires_at = ?, joined_at = ?, updated_at = ?
                WHERE room_id = ? AND user_id = ?
                """,
                columns(of: seat) + [now, seat.roomID.rawValue, seat.userID.rawValue])
        case .delete(let seat):
            try deleteSeat(of: seat.userID, in: seat.roomID, db)
        case .rememberDeparture(let roomID, let participantSID):
            try db.run(
                "INSERT OR REPLACE INTO voice_departures (room_id, participant_sid, departed_at) VALUES (?, ?, ?)",
                [roomID.rawValue, participantSID, now])
        }
    }

    /// `subroom` to `joined_at`, in the order of the table.
    private static func columns(of seat: VoiceSeat) -> StatementArguments {
        [
            seat.subroom, seat.identity, seat.state.rawValue, seat.participantSID, encode(seat.publishing), seat.isListenOnly,
            seat.reservedAt.storageMilliseconds, seat.expiresAt?.storageMilliseconds, seat.joinedAt?.storageMilliseconds,
        ]
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
