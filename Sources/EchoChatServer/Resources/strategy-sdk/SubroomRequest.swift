/// Who asks for a seat.
public struct SubroomRequest {
    /// The user asking.
    public var userID: UserID
    /// A sub-room the user asked for by name (`Lobby(3)` → 3), honoured when it has space.
    public var preferredIndex: Int?
    /// Whether the user will only listen (readonly room, voice-muted).
    public var isListenOnly: Bool
    /// The sub-room of each companion the user asked to sit with who holds a seat in the room
    /// (`companions` in the input); empty when none does.
    public var companionIndices: [Int]
    /// The user's role in the room (`role` in the input); `nil` for a server administrator who
    /// is not a member, or a host that does not say.
    public var role: RoomRole?

    /// Creates a request.
    public init(userID: UserID, preferredIndex: Int? = nil, isListenOnly: Bool = false, companionIndices: [Int] = [], role: RoomRole? = nil) {
        self.userID = userID
        self.preferredIndex = preferredIndex
        self.isListenOnly = isListenOnly
        self.companionIndices = companionIndices
        self.role = role
    }

    /// The sub-room where most of the companions sit, the lower index among equals; `nil` when
    /// no companion holds a seat.
    public var companionsSubroom: Int? {
        var best: Int?
        var bestCount = 0
        for index in companionIndices {
            var count = 0
            for other in companionIndices where other == index { count += 1 }
            if count > bestCount || (count == bestCount && index < (best ?? Int.max)) {
                best = index
                bestCount = count
            }
        }
        return best
    }

    /// Whether the user moderates the room (moderator, admin or owner).
    public var isModerator: Bool { (role ?? .member) >= .moderator }
}

/// A user's role in a room, lowest first.
public enum RoomRole: UInt8, Comparable {
    case member = 1
    case moderator
    case admin
    case owner

    public static func < (lhs: RoomRole, rhs: RoomRole) -> Bool { lhs.rawValue < rhs.rawValue }
}
