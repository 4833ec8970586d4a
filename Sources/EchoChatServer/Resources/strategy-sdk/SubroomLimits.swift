/// How many people a sub-room takes and how many sub-rooms a room spreads over.
public struct SubroomLimits: Hashable {
    /// Participants per sub-room; the host's default is `livekit_subroom_capacity`.
    public var capacity: Int
    /// The most sub-rooms one room spreads over; the host's default is `livekit_max_subrooms`.
    public var maxSubrooms: Int

    /// Creates limits.
    public init(capacity: Int, maxSubrooms: Int) {
        self.capacity = capacity
        self.maxSubrooms = maxSubrooms
    }
}
