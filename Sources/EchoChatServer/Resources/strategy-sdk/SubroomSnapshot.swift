/// The seats of one sub-room.
public struct SubroomOccupancy {
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
public struct SubroomSnapshot {
    /// The EchoChat room name (without sub-room suffix). Made from the input's bytes when asked
    /// for, so a strategy that never reads it does not pay for the string.
    public var room: String {
        get { roomUTF8.string }
        set { roomUTF8 = .copying(newValue) }
    }
    /// The room name's UTF-8.
    public var roomUTF8: UnsafeBufferPointer<UInt8>
    /// The host's clock when it built the snapshot, in milliseconds since 1970. Strategies use
    /// this instead of a clock, so that a decision can be replayed.
    public var nowMilliseconds: Int64
    /// Sub-rooms that have anyone in them, ordered by index. Missing indices are empty.
    public var subrooms: [SubroomOccupancy]
    /// The host's limits: `livekit_subroom_capacity` and `livekit_max_subrooms` from
    /// server_config.json. A strategy whose settings carry limits of its own applies them itself.
    public var limits: SubroomLimits

    /// Creates a snapshot; `subrooms` are sorted by index.
    public init(room: String, nowMilliseconds: Int64 = 0, subrooms: [SubroomOccupancy], limits: SubroomLimits) {
        self.init(roomUTF8: .copying(room), nowMilliseconds: nowMilliseconds, subrooms: subrooms, limits: limits)
    }

    /// Creates a snapshot whose room name is already UTF-8 in memory; `subrooms` are sorted by index.
    init(roomUTF8: UnsafeBufferPointer<UInt8>, nowMilliseconds: Int64, subrooms: [SubroomOccupancy], limits: SubroomLimits) {
        self.roomUTF8 = roomUTF8
        self.nowMilliseconds = nowMilliseconds
        self.subrooms = subrooms
        self.limits = limits
        if !isSortedByIndex {
            self.subrooms.sort { $0.index < $1.index }
        }
    }

    private var isSortedByIndex: Bool {
        var previous = Int.min
        for occupancy in subrooms {
            guard occupancy.index >= previous else { return false }
            previous = occupancy.index
        }
        return true
    }

    /// The occupancy of sub-room `index`, empty when nobody is there.
    public func occupancy(of index: Int) -> SubroomOccupancy {
        var low = 0
        var high = subrooms.count
        while low < high {
            let middle = (low + high) / 2
            if subrooms[middle].index < index {
                low = middle + 1
            } else {
                high = middle
            }
        }
        if low < subrooms.count && subrooms[low].index == index { return subrooms[low] }
        return SubroomOccupancy(index: index, seats: [])
    }
}
