public import Foundation

/// One user's place in a room's voice channel: a reservation made when a LiveKit token was
/// minted, which becomes a seat when LiveKit reports the participant joined.
///
/// A user holds at most one seat per room, whichever sub-room it is in.
public struct VoiceSeat: Hashable, Sendable {
    /// The EchoChat room.
    public var roomID: RoomID
    /// The 1-based sub-room index: 1 is `Lobby`, 2 is `Lobby(2)`.
    public var subroom: Int
    /// Who holds the seat.
    public var userID: UserID
    /// The LiveKit participant identity (the username).
    public var identity: String
    /// Reserved or joined.
    public var state: SubroomSeat.State
    /// LiveKit's participant sid once joined; a `participant_left` for another sid is stale.
    public var participantSID: String?
    /// What the participant publishes, from track webhooks.
    public var publishing: Set<TrackSource>
    /// Whether the token was listen-only.
    public var isListenOnly: Bool
    /// When the seat was reserved (or, for a join nobody reserved, when it was seen).
    public var reservedAt: Date
    /// When a reservation lapses if no join arrives; `nil` once joined.
    public var expiresAt: Date?
    /// When LiveKit says the participant joined; `nil` while reserved.
    public var joinedAt: Date?

    /// Creates a seat.
    public init(
        roomID: RoomID, subroom: Int, userID: UserID, identity: String, state: SubroomSeat.State, participantSID: String? = nil,
        publishing: Set<TrackSource> = [], isListenOnly: Bool = false, reservedAt: Date, expiresAt: Date? = nil, joinedAt: Date? = nil
    ) {
        self.roomID = roomID
        self.subroom = subroom
        self.userID = userID
        self.identity = identity
        self.state = state
        self.participantSID = participantSID
        self.publishing = publishing
        self.isListenOnly = isListenOnly
        self.reservedAt = reservedAt
        self.expiresAt = expiresAt
        self.joinedAt = joinedAt
    }

    /// The seat as a strategy sees it.
    public var subroomSeat: SubroomSeat {
        SubroomSeat(userID: userID, state: state, publishing: publishing, isListenOnly: isListenOnly)
    }
}

/// A request for a seat, decided and recorded atomically by ``VoiceStore/reserveSeat(_:decide:)``.
public struct SeatRequest: Hashable, Sendable {
    /// The EchoChat room.
    public var roomID: RoomID
    /// Who asks.
    public var userID: UserID
    /// Their LiveKit identity.
    public var identity: String
    /// Whether their token will be listen-only.
    public var isListenOnly: Bool
    /// The clock of the request: reservations that lapsed by now do not count.
    public var now: Date
    /// When the new (or renewed) reservation lapses.
    public var expiresAt: Date

    /// Creates a request.
    public init(roomID: RoomID, userID: UserID, identity: String, isListenOnly: Bool, now: Date, expiresAt: Date) {
        self.roomID = roomID
        self.userID = userID
        self.identity = identity
        self.isListenOnly = isListenOnly
        self.now = now
        self.expiresAt = expiresAt
    }
}

/// What ``VoiceStore/reserveSeat(_:decide:)`` did.
public enum SeatOutcome: Hashable, Sendable {
    /// The user already held this seat (a reconnect, a second tab); a reservation's expiry was renewed.
    case existing(VoiceSeat)
    /// A new reservation was recorded.
    case reserved(VoiceSeat)
    /// The strategy refused; nothing was recorded.
    case refused(String)
}

/// A participant as LiveKit lists it, for reconciling a sub-room's seats.
public struct VoiceParticipant: Hashable, Sendable {
    /// The EchoChat user.
    public var userID: UserID
    /// The LiveKit identity.
    public var identity: String
    /// The participant sid.
    public var participantSID: String
    /// What they publish.
    public var publishing: Set<TrackSource>

    /// Creates a participant.
    public init(userID: UserID, identity: String, participantSID: String, publishing: Set<TrackSource>) {
        self.userID = userID
        self.identity = identity
        self.participantSID = participantSID
        self.publishing = publishing
    }
}

/// A moderator's restriction on someone's voice in a room.
public enum VoiceRestriction: String, Hashable, Sendable, CaseIterable {
    /// Voice-kicked: no new token until it lapses, and removed again if they join.
    case kicked
    /// Voice-muted: tokens are listen-only until it lapses.
    case muted
}

/// Voice seats and their bookkeeping.
///
/// The host keeps the authoritative count of who is in each sub-room here, rather than trusting
/// LiveKit's `numParticipants` (which lags). Every change is one transaction. The rules each
/// requirement describes are ``SeatTransitions``: read the rows, ask it, apply its ``SeatChange``s.
public protocol VoiceStore: Sendable {
    /// Decides and records a seat atomically, so that concurrent requests (on this instance or on
    /// several sharing the database) can never put more people into a sub-room than the strategy
    /// allows.
    ///
    /// In one transaction holding the room's lock: reservations of the room that lapsed by
    /// `request.now` are dropped; when the user already holds a seat it is returned (a
    /// reservation's expiry renewed to `request.expiresAt`); otherwise `decide` is called with the
    /// room's occupancy (every seat, reserved and joined) and, when it assigns a sub-room, a
    /// reservation there is recorded.
    func reserveSeat(_ request: SeatRequest, decide: @escaping @Sendable ([SubroomOccupancy]) -> SubroomDecision) async throws -> SeatOutcome

    /// The room's seats, reservations that lapsed by `now` left out, ordered by sub-room and reservation time.
    func voiceSeats(in roomID: RoomID, at now: Date) async throws -> [VoiceSeat]

    /// The rooms with seats (joined or reserved) and the sub-rooms they occupy.
    func occupiedSubrooms(at now: Date) async throws -> [RoomID: Set<Int>]

    /// LiveKit reported `identity` joined sub-room `subroom` as `participantSID` at `date` (LiveKit's
    /// join time): their seat in the room (wherever it was) becomes a joined seat there, or one is
    /// created when nobody reserved it. Webhooks can arrive late and out of order, so the event is
    /// ignored (`nil`) when that sid has already left, or when the seat holds a later join.
    @discardableResult
    func seatJoined(
        roomID: RoomID, subroom: Int, userID: UserID, identity: String, participantSID: String, at date: Date
    ) async throws -> VoiceSeat?

    /// LiveKit reported `participantSID` left sub-room `subroom`: the seat is freed when that sid
    /// is still the one holding it (a stale or reordered event changes nothing), and the sid is
    /// remembered as gone, so that its join arriving late seats nobody. Returns whether a seat was freed.
    @discardableResult
    func seatLeft(roomID: RoomID, subroom: Int, identity: String, participantSID: String) async throws -> Bool

    /// A track of `source` was published (or unpublished) by `participantSID`. Returns whether a seat changed.
    @discardableResult
    func setPublishing(
        _ source: TrackSource, _ published: Bool, roomID: RoomID, subroom: Int, identity: String, participantSID: String
    ) async throws -> Bool

    /// The sub-room closed on LiveKit: its joined seats are freed (reservations stay: their holders
    /// are about to join). Returns how many seats were freed.
    @discardableResult
    func clearJoinedSeats(roomID: RoomID, subroom: Int) async throws -> Int

    /// Makes the joined seats of a sub-room match what LiveKit listed at `listedAt`: seats of
    /// people no longer there are freed, people there become joined seats. Reservations stay, and
    /// so does every seat changed after `listedAt` (a webhook applied while the list was on its
    /// way is newer than the list); a participant whose sid has left since is not seated again.
    /// Returns whether anything changed.
    @discardableResult
    func reconcileSeats(roomID: RoomID, subroom: Int, participants: [VoiceParticipant], listedAt: Date) async throws -> Bool

    /// Records a webhook event id; `false` when it was recorded before (a duplicate). Ids older
    /// than `pruneBefore` are forgotten.
    func recordWebhookEvent(_ id: String, at date: Date, pruneBefore: Date) async throws -> Bool

    /// Forgets a recorded webhook event id, so that LiveKit's retry of an event whose handling
    /// failed is handled rather than dropped as a duplicate.
    func forgetWebhookEvent(_ id: String) async throws

    /// Frees `userID`'s seat in the room, whatever its state; returns the seat that was freed.
    @discardableResult
    func releaseSeat(of userID: UserID, in roomID: RoomID) async throws -> VoiceSeat?

    /// Restricts `userID`'s voice in the room until `until` (replacing an earlier restriction of
    /// that kind), and records `audit` in the same transaction.
    func restrictVoice(_ restriction: VoiceRestriction, of userID: UserID, in roomID: RoomID, until: Date, audit: AuditRecord?) async throws

    /// The restrictions on `userID`'s voice in the room that are still in force at `now`.
    func voiceRestrictions(of userID: UserID, in roomID: RoomID, at now: Date) async throws -> Set<VoiceRestriction>
}
