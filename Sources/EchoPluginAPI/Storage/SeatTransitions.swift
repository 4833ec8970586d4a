public import Foundation

/// The voice seat rules of ``VoiceStore``, as pure functions: a backend reads the rows, asks
/// here what they become, and applies the returned ``SeatChange``s in the same transaction, so
/// that a new backend writes SQL, not rules.
///
/// No function does I/O or reads a clock: times come in as arguments.
///
/// ```swift
/// public func seatJoined(
///     roomID: RoomID, subroom: Int, userID: UserID, identity: String, participantSID: String, at date: Date
/// ) async throws -> VoiceSeat? {
///     try await transaction { db in
///         let change = SeatTransitions.joined(
///             roomID: roomID, subroom: subroom, userID: userID, identity: identity, participantSID: participantSID, at: date,
///             existing: try db.seat(of: userID, in: roomID), hasLeft: try db.hasDeparted(participantSID, from: roomID))
///         if let change { try db.apply(change) }
///         return change?.seat
///     }
/// }
/// ```
///
/// - Note: Added in EchoPluginAPI 1.4.
public enum SeatTransitions {
    /// How long a departed sid is remembered: far longer than LiveKit delays a webhook (it drops
    /// events older than 30 s).
    public static let departureMemory: TimeInterval = 3600

    /// Whether `seat` counts at `now`: it is joined, or a reservation that has not lapsed.
    public static func isLive(_ seat: VoiceSeat, at now: Date) -> Bool {
        seat.state == .joined || (seat.expiresAt ?? .distantFuture) > now
    }

    /// ``VoiceStore/reserveSeat(_:decide:)``: the user's live seat is returned (a reservation's
    /// expiry and listen-only flag renewed); otherwise `decide` sees the room's live seats, and a
    /// reservation is made where it assigns one.
    ///
    /// - Parameters:
    ///   - ownSeat: the user's seat in the room, if any.
    ///   - occupancy: the room's seats, read only when the user holds none; lapsed reservations are left out here.
    /// - Returns: the outcome, and the change to apply (none when a joined seat stays as it is
    ///   or the strategy refuses). A lapsed reservation of the user's is replaced by the new one.
    public static func reserve(
        request: SeatRequest, ownSeat: VoiceSeat?, occupancy: @autoclosure () throws -> [VoiceSeat],
        decide: ([SubroomOccupancy]) -> SubroomDecision
    ) rethrows -> (SeatOutcome, SeatChange?) {
        if var seat = ownSeat, isLive(seat, at: request.now) {
            guard seat.state == .reserved else { return (.existing(seat), nil) }
            seat.expiresAt = request.expiresAt
            seat.isListenOnly = request.isListenOnly
            return (.existing(seat), .update(seat))
        }
        // Read only now: a user who holds a seat (a reconnect, a second tab) costs no room-wide read.
        let decision = decide(subrooms(of: try occupancy().filter { isLive($0, at: request.now) }))
        guard let index = decision.assignedIndex else { return (.refused(decision.refusalReason ?? "no sub-room has space"), nil) }
        let seat = VoiceSeat(
            roomID: request.roomID, subroom: index, userID: request.userID, identity: request.identity, state: .reserved,
            isListenOnly: request.isListenOnly, reservedAt: request.now, expiresAt: request.expiresAt)
        return (.reserved(seat), ownSeat == nil ? .insert(seat) : .update(seat))
    }

    /// ``VoiceStore/seatJoined(roomID:subroom:userID:identity:participantSID:at:)``: the user's
    /// seat (wherever it was, or a new one when nobody reserved it) becomes a joined seat in
    /// `subroom`. `nil` when the event is to be ignored: the sid already left (`hasLeft`), or
    /// the seat holds a later join of another sid.
    public static func joined(
        roomID: RoomID, subroom: Int, userID: UserID, identity: String, participantSID: String, at date: Date,
        existing: VoiceSeat?, hasLeft: Bool
    ) -> SeatChange? {
        guard !hasLeft else { return nil }
        if let existing, existing.state == .joined, existing.participantSID != participantSID,
            let current = existing.joinedAt, current > date
        {
            return nil  // a join older than the one holding the seat
        }
        var seat =
            existing ?? VoiceSeat(roomID: roomID, subroom: subroom, userID: userID, identity: identity, state: .joined, reservedAt: date)
        if seat.participantSID != participantSID { seat.publishing = [] }
        seat.subroom = subroom
        seat.identity = identity
        seat.state = .joined
        seat.participantSID = participantSID
        seat.expiresAt = nil
        seat.joinedAt = date
        return existing == nil ? .insert(seat) : .update(seat)
    }

    /// ``VoiceStore/seatLeft(roomID:subroom:identity:participantSID:)``: the sid is remembered as
    /// gone, and the seat is freed when that sid still holds it in `subroom`.
    ///
    /// - Parameter seats: the room's seats held by `participantSID` (more do no harm).
    public static func left(roomID: RoomID, subroom: Int, identity: String, participantSID: String, seats: [VoiceSeat]) -> [SeatChange] {
        [.rememberDeparture(roomID, participantSID: participantSID)]
            + seats.filter { holds($0, subroom: subroom, identity: identity, participantSID: participantSID) }.map(SeatChange.delete)
    }

    /// ``VoiceStore/setPublishing(_:_:roomID:subroom:identity:participantSID:)``: the seat `participantSID`
    /// holds in `subroom` publishes `source` or stops; `nil` when no such seat exists or nothing changes.
    ///
    /// - Parameter seats: the room's seats held by `participantSID` (more do no harm).
    public static func publishing(
        _ source: TrackSource, _ published: Bool, subroom: Int, identity: String, participantSID: String, seats: [VoiceSeat]
    ) -> SeatChange? {
        guard var seat = seats.first(where: { holds($0, subroom: subroom, identity: identity, participantSID: participantSID) }) else {
            return nil
        }
        let before = seat.publishing
        if published { seat.publishing.insert(source) } else { seat.publishing.remove(source) }
        return seat.publishing == before ? nil : .update(seat)
    }

    static func holds(_ seat: VoiceSeat, subroom: Int, identity: String, participantSID: String) -> Bool {
        seat.subroom == subroom && seat.identity == identity && seat.participantSID == participantSID
    }

    /// The seats as a strategy sees them: per sub-room, by index, each in reservation order.
    static func subrooms(of seats: [VoiceSeat]) -> [SubroomOccupancy] {
        let ordered = seats.sorted { ($0.subroom, $0.reservedAt, $0.userID) < ($1.subroom, $1.reservedAt, $1.userID) }
        return Dictionary(grouping: ordered, by: \.subroom).map { SubroomOccupancy(index: $0.key, seats: $0.value.map(\.subroomSeat)) }
            .sorted { $0.index < $1.index }
    }
}
