/// One occupied place in a sub-room: someone who joined, or a token handed out moments ago.
public struct SubroomSeat: Hashable {
    /// Whether the seat is confirmed by LiveKit or only reserved.
    public enum State: UInt8, Hashable {
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
    public var publishing: TrackSourceSet
    /// Whether the participant may only listen.
    public var isListenOnly: Bool

    /// Creates a seat.
    public init(userID: UserID, state: State, publishing: TrackSourceSet = [], isListenOnly: Bool = false) {
        self.userID = userID
        self.state = state
        self.publishing = publishing
        self.isListenOnly = isListenOnly
    }
}
