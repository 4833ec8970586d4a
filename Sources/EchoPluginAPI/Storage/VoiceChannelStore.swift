public import Foundation

/// Someone waiting for a seat in a room's voice channel.
///
/// - Note: Added in EchoPluginAPI 1.9.
public struct VoiceQueueEntry: Hashable, Sendable {
    /// The EchoChat room.
    public var roomID: RoomID
    /// Who waits.
    public var userID: UserID
    /// Their LiveKit identity.
    public var identity: String
    /// Whether their token will be listen-only (as it was when they joined the queue).
    public var isListenOnly: Bool
    /// When they joined the queue; entries are served in this order (ties by user id).
    public var enqueuedAt: Date
    /// Their 1-based place in the queue.
    public var position: Int

    /// Creates an entry.
    public init(roomID: RoomID, userID: UserID, identity: String, isListenOnly: Bool, enqueuedAt: Date, position: Int) {
        self.roomID = roomID
        self.userID = userID
        self.identity = identity
        self.isListenOnly = isListenOnly
        self.enqueuedAt = enqueuedAt
        self.position = position
    }
}

/// What ``VoiceChannelStore/reserveSeatOrQueue(_:joinsQueue:bypassesQueue:decide:)`` did.
///
/// - Note: Added in EchoPluginAPI 1.9.
public enum QueuedSeatOutcome: Hashable, Sendable {
    /// A seat was found (or already held), or the strategy refused someone who may pass the queue.
    case seat(SeatOutcome)
    /// The user waits in the room's queue at this 1-based position.
    case queued(position: Int)
}

/// What ``VoiceChannelStore/moveSeat(of:in:to:now:expiresAt:audit:admits:)`` did.
///
/// - Note: Added in EchoPluginAPI 1.9.
public enum SeatMove: Hashable, Sendable {
    /// The seat moved: it is now a reservation in the new sub-room.
    case moved(from: VoiceSeat, to: VoiceSeat)
    /// The user holds no seat in the room.
    case notSeated
    /// The new sub-room has no space for them (`admits` said no); nothing changed.
    case refused
}

/// A moderator's ban from a room's voice channel.
///
/// - Note: Added in EchoPluginAPI 1.9.
public struct VoiceBan: Hashable, Sendable {
    /// The EchoChat room.
    public var roomID: RoomID
    /// Who is banned.
    public var userID: UserID
    /// Why, as the moderator wrote it.
    public var reason: String?
    /// Who banned them.
    public var bannedBy: UserID?
    /// When.
    public var createdAt: Date
    /// When the ban ends by itself; `nil` for a ban that lasts until lifted.
    public var expiresAt: Date?

    /// Creates a ban.
    public init(roomID: RoomID, userID: UserID, reason: String?, bannedBy: UserID?, createdAt: Date, expiresAt: Date?) {
        self.roomID = roomID
        self.userID = userID
        self.reason = reason
        self.bannedBy = bannedBy
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }

    /// Whether the ban is in force at `date`.
    public func isInForce(at date: Date) -> Bool { expiresAt.map { $0 > date } ?? true }
}

/// A restriction on someone's voice in a room, as listed for moderators.
///
/// - Note: Added in EchoPluginAPI 1.9.
public struct VoiceRestrictionEntry: Hashable, Sendable {
    /// Who is restricted.
    public var userID: UserID
    /// Kicked or muted.
    public var restriction: VoiceRestriction
    /// When it lapses.
    public var until: Date

    /// Creates an entry.
    public init(userID: UserID, restriction: VoiceRestriction, until: Date) {
        self.userID = userID
        self.restriction = restriction
        self.until = until
    }
}

/// What a room's voice channel needs beyond seats: a queue instead of "full", moving people
/// between sub-rooms, voice bans, and the listings moderators and room lists read.
///
/// A storage that does not conform keeps working: token requests that ask to queue get 409
/// `room_full` as before, and move and voice bans answer 501.
///
/// Queue entries are served first come, first served. Every method that decides seats does it
/// like ``VoiceStore/reserveSeat(_:decide:)``: in one transaction holding the room's lock, lapsed
/// reservations dropped first, so instances sharing the storage never overfill a sub-room or
/// offer one seat twice. ``VoiceQueueRules`` holds the rules; a backend reads rows, asks it, and
/// writes what it says. Run `StorageConformance.voiceChannelChecks`.
///
/// - Note: Added in EchoPluginAPI 1.9.
public protocol VoiceChannelStore: Storage {
    /// A token request in a room that may have a queue. In one transaction holding the room's
    /// lock: a user who holds a live seat gets it back (their queue entry, if any, removed); a
    /// user with nobody ahead of them in the queue (or who `bypassesQueue`, a moderator) has
    /// `decide` called as ``VoiceStore/reserveSeat(_:decide:)`` does, and a seat found removes
    /// their entry; otherwise the user keeps their place in the queue, or joins it at the end when
    /// `joinsQueue` (else the request is refused: others wait first).
    func reserveSeatOrQueue(
        _ request: SeatRequest, joinsQueue: Bool, bypassesQueue: Bool, decide: @escaping @Sendable ([SubroomOccupancy]) -> SubroomDecision
    ) async throws -> QueuedSeatOutcome

    /// Offers seats that freed up to the room's queue, in order: in one transaction holding the
    /// room's lock, lapsed reservations are dropped, then for each entry (at most `limit`) the
    /// strategy `decide`s; an assigned sub-room becomes a reservation lapsing at `expiresAt` and
    /// the entry is removed. The first refusal ends the pass (first come, first served). Entries
    /// of users who meanwhile hold a seat are removed. Returns the reservations made.
    func offerQueuedSeats(
        in roomID: RoomID, now: Date, expiresAt: Date, limit: Int,
        decide: @escaping @Sendable (VoiceQueueEntry, [SubroomOccupancy]) -> SubroomDecision
    ) async throws -> [VoiceSeat]

    /// The room's queue in order, positions from 1.
    func voiceQueue(in roomID: RoomID) async throws -> [VoiceQueueEntry]

    /// The rooms whose queue is not empty.
    func roomsWithVoiceQueues() async throws -> Set<RoomID>

    /// Takes `userID` out of the room's queue; returns whether they were in it.
    @discardableResult
    func leaveVoiceQueue(of userID: UserID, in roomID: RoomID) async throws -> Bool

    /// Takes `userID` out of every queue; returns the rooms they waited in.
    @discardableResult
    func leaveVoiceQueues(of userID: UserID) async throws -> Set<RoomID>

    /// Moves `userID`'s seat to `subroom`, as a reservation lapsing at `expiresAt`, in one
    /// transaction holding the room's lock; `admits` sees the room's occupancy without the
    /// user's seat and says whether the sub-room has space. `audit` is recorded with the move.
    func moveSeat(
        of userID: UserID, in roomID: RoomID, to subroom: Int, now: Date, expiresAt: Date, audit: AuditRecord?,
        admits: @escaping @Sendable ([SubroomOccupancy]) -> Bool
    ) async throws -> SeatMove

    /// Records a voice ban (replacing an earlier one of the user's in the room) and `audit`, in one transaction.
    func banFromVoice(_ ban: VoiceBan, audit: AuditRecord?) async throws

    /// Lifts the user's voice ban; returns whether there was one in force. `audit` is recorded when there was.
    @discardableResult
    func liftVoiceBan(of userID: UserID, in roomID: RoomID, at now: Date, audit: AuditRecord?) async throws -> Bool

    /// The room's voice bans in force at `now`, oldest first.
    func voiceBans(in roomID: RoomID, at now: Date) async throws -> [VoiceBan]

    /// The user's voice ban in the room, if one is in force at `now`.
    func voiceBan(of userID: UserID, in roomID: RoomID, at now: Date) async throws -> VoiceBan?

    /// The room's voice restrictions in force at `now` (mutes and kicks), for moderators' lists.
    func voiceRestrictions(in roomID: RoomID, at now: Date) async throws -> [VoiceRestrictionEntry]

    /// Records a voice moderation that changes nothing in storage (muting a whole sub-room on LiveKit).
    func recordVoiceAudit(_ audit: AuditRecord, in roomID: RoomID) async throws

    /// How many seats (joined, and reservations live at `now`) each room with any holds.
    func voiceSeatCounts(at now: Date) async throws -> [RoomID: Int]
}
