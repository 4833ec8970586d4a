/// One write a ``SeatTransitions`` function asks a storage backend to make, in the order given.
///
/// Each change is one statement: a backend maps the cases to its own SQL (or whatever it
/// writes) and stamps every seat row it writes as changed now, which ``VoiceStore/reconcileSeats(roomID:subroom:participants:listedAt:)``
/// compares with the time LiveKit's list was read.
///
/// ```swift
/// switch change {
/// case .insert(let seat): try db.run("INSERT INTO voice_seats …", seat)
/// case .update(let seat): try db.run("UPDATE voice_seats SET … WHERE room_id = ? AND user_id = ?", seat)
/// case .delete(let seat): try db.run("DELETE FROM voice_seats WHERE room_id = ? AND user_id = ?", seat.roomID, seat.userID)
/// case .rememberDeparture(let roomID, let sid): try db.run("INSERT OR REPLACE INTO voice_departures …", roomID, sid, now)
/// }
/// ```
///
/// - Note: Added in EchoPluginAPI 1.4.
public enum SeatChange: Hashable, Sendable {
    /// Add this seat: its user holds none in its room.
    case insert(VoiceSeat)
    /// Replace the seat its user holds in its room (whatever the sub-room) with this one, every column.
    case update(VoiceSeat)
    /// Free the seat its user holds in its room.
    case delete(VoiceSeat)
    /// Remember that `participantSID` left the room, so that its join arriving late seats nobody.
    /// Forget such sids after ``SeatTransitions/departureMemory``.
    case rememberDeparture(RoomID, participantSID: String)

    /// The seat written or freed; `nil` for a departure.
    public var seat: VoiceSeat? {
        switch self {
        case .insert(let seat), .update(let seat), .delete(let seat): seat
        case .rememberDeparture: nil
        }
    }

    /// Whether this change frees a seat.
    public var isDelete: Bool {
        if case .delete = self { true } else { false }
    }
}
