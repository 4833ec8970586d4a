public import Foundation

/// A plugin filling the `subrooms` slot: decides which voice sub-room (`Lobby`, `Lobby(2)`, …)
/// a user joins.
///
/// A strategy is a pure function of a snapshot: no I/O, no clock (the host passes `now`), no
/// shared state. The host takes the room's lock in storage, builds the snapshot, asks the
/// strategy, records the reservation and commits, so a strategy never deals with concurrency
/// and can be replayed offline.
///
/// ```swift
/// public func decide(_ request: SubroomRequest, in snapshot: SubroomSnapshot, now: Date) -> SubroomDecision {
///     let limit = snapshot.limits.maxSubrooms
///     for index in 1...limit where snapshot.occupancy(of: index).seats.count < 10 {
///         return .assign(index)
///     }
///     return .refuse("every sub-room has 10 people")
/// }
/// ```
public protocol SubroomStrategy: Plugin {
    /// Picks a sub-room for `request`, or refuses. `snapshot.limits` are the effective limits:
    /// what ``limits(defaults:)`` made of the host's defaults.
    func decide(_ request: SubroomRequest, in snapshot: SubroomSnapshot, now: Date) -> SubroomDecision

    /// The most participants one sub-room can ever hold under this strategy, or `nil` for no fixed
    /// number. The host creates each sub-room on LiveKit with this as `max_participants`, so the
    /// media server enforces it too. `limits` are the effective limits, as in ``decide(_:in:now:)``.
    /// The default is `nil`.
    func maxParticipants(limits: SubroomLimits) -> Int?

    /// The limits this strategy works within: the host's `defaults` (`livekit_subroom_capacity`
    /// and `livekit_max_subrooms` from server_config.json) with whatever the strategy's own
    /// configuration sets instead. The host asks once, at start-up, and hands the result to
    /// every ``decide(_:in:now:)`` and to ``maxParticipants(limits:)``, so that the limits have
    /// one home. The default returns `defaults`.
    ///
    /// ```swift
    /// public func limits(defaults: SubroomLimits) -> SubroomLimits {
    ///     SubroomLimits(capacity: configuration.capacity ?? defaults.capacity, maxSubrooms: defaults.maxSubrooms)
    /// }
    /// ```
    ///
    /// - Note: Added in EchoPluginAPI 1.4.
    func limits(defaults: SubroomLimits) -> SubroomLimits
}

extension SubroomStrategy {
    public func maxParticipants(limits: SubroomLimits) -> Int? { nil }

    /// Returns `defaults`: the strategy has no limits of its own.
    public func limits(defaults: SubroomLimits) -> SubroomLimits { defaults }
}

/// A media source a participant can publish, named as in LiveKit's grants.
public enum TrackSource: String, CaseIterable, Hashable, Codable, Sendable {
    /// Audio from a microphone.
    case microphone
    /// Video from a camera.
    case camera
    /// A shared screen's video.
    case screenShare = "screen_share"
    /// A shared screen's audio.
    case screenShareAudio = "screen_share_audio"
}

/// One occupied place in a sub-room: someone who joined, or a token handed out moments ago.
public struct SubroomSeat: Hashable, Sendable {
    /// Whether the seat is confirmed by LiveKit or only reserved.
    public enum State: String, Hashable, Sendable {
        /// A token was minted; the join has not been seen yet.
        case reserved
        /// LiveKit reported the participant joined.
        case joined
    }

    /// Who holds the seat.
    public var userID: UserID
    /// Reserved or joined.
    public var state: State
    /// What the participant currently publishes (from track webhooks); empty when unknown.
    public var publishing: Set<TrackSource>
    /// Whether the participant may only listen.
    public var isListenOnly: Bool

    /// Creates a seat.
    public init(userID: UserID, state: State, publishing: Set<TrackSource> = [], isListenOnly: Bool = false) {
        self.userID = userID
        self.state = state
        self.publishing = publishing
        self.isListenOnly = isListenOnly
    }
}

/// The seats of one sub-room.
public struct SubroomOccupancy: Hashable, Sendable {
    /// The 1-based index: 1 is `Lobby`, 2 is `Lobby(2)`.
    public var index: Int
    /// Joined participants and live reservations.
    public var seats: [SubroomSeat]

    /// Creates an occupancy.
    public init(index: Int, seats: [SubroomSeat]) {
        self.index = index
        self.seats = seats
    }
}

/// A room's voice occupancy at one instant, as the host read it under the room's lock.
public struct SubroomSnapshot: Hashable, Sendable {
    /// The EchoChat room name (without sub-room suffix).
    public var room: String
    /// Sub-rooms that have anyone in them, ordered by index. Missing indices are empty.
    public var subrooms: [SubroomOccupancy]
    /// The effective limits: the host's defaults as the strategy's ``SubroomStrategy/limits(defaults:)`` resolved them.
    public var limits: SubroomLimits

    /// Creates a snapshot.
    public init(room: String, subrooms: [SubroomOccupancy], limits: SubroomLimits) {
        self.room = room
        self.subrooms = subrooms.sorted { $0.index < $1.index }
        self.limits = limits
    }

    /// The occupancy of sub-room `index`, empty when nobody is there.
    public func occupancy(of index: Int) -> SubroomOccupancy {
        subrooms.first { $0.index == index } ?? SubroomOccupancy(index: index, seats: [])
    }
}

/// Who asks for a seat.
public struct SubroomRequest: Hashable, Sendable {
    /// The user asking.
    public var userID: UserID
    /// A sub-room the user asked for by name (`Lobby(3)` → 3), honoured when it has space.
    public var preferredIndex: Int?
    /// Whether the user will only listen (readonly room, voice-muted).
    public var isListenOnly: Bool
    /// The sub-room of each companion the user asked to sit with (`"with"` in the token request)
    /// who holds a seat in the room, in the order asked; empty when none does.
    ///
    /// - Note: Added in EchoPluginAPI 1.8.
    public var companionIndices: [Int] = []
    /// The user's role in the room; `nil` for a server administrator who is not a member.
    ///
    /// - Note: Added in EchoPluginAPI 1.8.
    public var role: RoomRole? = nil

    /// Creates a request.
    public init(userID: UserID, preferredIndex: Int? = nil, isListenOnly: Bool = false) {
        self.userID = userID
        self.preferredIndex = preferredIndex
        self.isListenOnly = isListenOnly
    }

    /// Creates a request with companions and the user's role.
    ///
    /// - Note: Added in EchoPluginAPI 1.8.
    public init(userID: UserID, preferredIndex: Int?, isListenOnly: Bool, companionIndices: [Int], role: RoomRole?) {
        self.init(userID: userID, preferredIndex: preferredIndex, isListenOnly: isListenOnly)
        self.companionIndices = companionIndices
        self.role = role
    }

    /// The sub-room where most of the companions sit, the lower index among equals; `nil` when
    /// no companion holds a seat. Strategies put the user there when it has room.
    ///
    /// - Note: Added in EchoPluginAPI 1.8.
    public var companionsSubroom: Int? {
        var counts: [Int: Int] = [:]
        for index in companionIndices { counts[index, default: 0] += 1 }
        return counts.min { ($1.value, $0.key) < ($0.value, $1.key) }?.key
    }

    /// Whether the user moderates the room (moderator, admin or owner): strategies let them
    /// into a full sub-room within their `moderator_headroom`.
    ///
    /// - Note: Added in EchoPluginAPI 1.8.
    public var isModerator: Bool { (role ?? .member) >= .moderator }
}

/// A strategy's answer.
public struct SubroomDecision: Hashable, Sendable, CustomStringConvertible {
    /// The chosen 1-based sub-room index, or `nil` when refused.
    public let assignedIndex: Int?
    /// Why the request was refused, for logs and the 409 message.
    public let refusalReason: String?

    private init(assignedIndex: Int?, refusalReason: String?) {
        self.assignedIndex = assignedIndex
        self.refusalReason = refusalReason
    }

    /// Seat the user in sub-room `index` (1-based; an index beyond the current ones opens a new sub-room).
    public static func assign(_ index: Int) -> SubroomDecision {
        precondition(index >= 1, "sub-room indices start at 1")
        return SubroomDecision(assignedIndex: index, refusalReason: nil)
    }

    /// Refuse: every sub-room that may exist is full.
    public static func refuse(_ reason: String) -> SubroomDecision {
        SubroomDecision(assignedIndex: nil, refusalReason: reason)
    }

    public var description: String {
        assignedIndex.map { "assign(\($0))" } ?? "refuse(\(refusalReason ?? ""))"
    }
}
