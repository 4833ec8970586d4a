/// Who asks for a seat.
public struct SubroomRequest {
    /// The user asking.
    public var userID: UserID
    /// A sub-room the user asked for by name (`Lobby(3)` → 3), honoured when it has space.
    public var preferredIndex: Int?
    /// Whether the user will only listen (readonly room, voice-muted).
    public var isListenOnly: Bool

    /// Creates a request.
    public init(userID: UserID, preferredIndex: Int? = nil, isListenOnly: Bool = false) {
        self.userID = userID
        self.preferredIndex = preferredIndex
        self.isListenOnly = isListenOnly
    }
}
