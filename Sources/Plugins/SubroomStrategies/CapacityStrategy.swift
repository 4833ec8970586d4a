public import EchoPluginAPI
public import Foundation

/// `subrooms.capacity`: fills sub-room 1 up to its capacity, then 2, and so on; never above
/// capacity, never beyond `max_subrooms`. When every sub-room is full it refuses rather than
/// overfilling one. A preferred sub-room with space comes first, then the sub-room where most
/// of the user's companions sit; a room moderator may go `moderator_headroom` above capacity.
public struct CapacityStrategy: SubroomStrategy {
    public static let name = "capacity"
    public static let apiVersion = PluginAPIVersion(1, 8)

    /// `{"capacity": 50, "max_subrooms": 25, "moderator_headroom": 1}`; absent keys take
    /// `livekit_subroom_capacity` and `livekit_max_subrooms` from server_config.json.
    public struct Configuration: PluginConfiguration {
        /// Participants per sub-room.
        public var capacity: Int?
        /// The most sub-rooms one room spreads over.
        public var maxSubrooms: Int?
        /// Seats above capacity that room moderators (and above) may take, so that one can
        /// always reach a full sub-room; LiveKit's `max_participants` includes them.
        public var moderatorHeadroom: Int

        enum CodingKeys: String, CodingKey {
            case capacity
            case maxSubrooms = "max_subrooms"
            case moderatorHeadroom = "moderator_headroom"
        }

        public init(capacity: Int? = nil, maxSubrooms: Int? = nil, moderatorHeadroom: Int = 1) {
            self.capacity = capacity
            self.maxSubrooms = maxSubrooms
            self.moderatorHeadroom = moderatorHeadroom
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            capacity = try container.decodeIfPresent(Int.self, forKey: .capacity)
            maxSubrooms = try container.decodeIfPresent(Int.self, forKey: .maxSubrooms)
            moderatorHeadroom = try container.decodeIfPresent(Int.self, forKey: .moderatorHeadroom) ?? 1
        }

        public func validate() throws {
            if let capacity, !(1...100_000).contains(capacity) {
                throw ConfigIssue(key: "capacity", "must be between 1 and 100000")
            }
            if let maxSubrooms, !(1...1000).contains(maxSubrooms) {
                throw ConfigIssue(key: "max_subrooms", "must be between 1 and 1000")
            }
            if !(0...100).contains(moderatorHeadroom) {
                throw ConfigIssue(key: "moderator_headroom", "must be between 0 and 100")
            }
        }
    }

    let configuration: Configuration

    public init(configuration: Configuration, context: PluginContext) async throws {
        self.configuration = configuration
    }

    /// Creates the strategy directly, for tests and simulations.
    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    public func limits(defaults: SubroomLimits) -> SubroomLimits {
        SubroomLimits(capacity: configuration.capacity ?? defaults.capacity, maxSubrooms: configuration.maxSubrooms ?? defaults.maxSubrooms)
    }

    public func maxParticipants(limits: SubroomLimits) -> Int? {
        limits.capacity + configuration.moderatorHeadroom
    }

    public func decide(_ request: SubroomRequest, in snapshot: SubroomSnapshot, now: Date) -> SubroomDecision {
        let (capacity, maxSubrooms) = (snapshot.limits.capacity, snapshot.limits.maxSubrooms)
        // A moderator's headroom lets them into a full sub-room they ask for, or anywhere when
        // every sub-room is full; otherwise they are seated like anyone.
        let reach = capacity + (request.isModerator ? configuration.moderatorHeadroom : 0)
        func hasSpace(_ index: Int, below cap: Int) -> Bool {
            (1...maxSubrooms).contains(index) && snapshot.occupancy(of: index).seats.count < cap
        }
        if let preferred = request.preferredIndex, hasSpace(preferred, below: reach) {
            return .assign(preferred)
        }
        if let companions = request.companionsSubroom, hasSpace(companions, below: reach) {
            return .assign(companions)
        }
        if let index = (1...maxSubrooms).first(where: { hasSpace($0, below: capacity) }) ?? (1...maxSubrooms).first(where: { hasSpace($0, below: reach) }) {
            return .assign(index)
        }
        return .refuse("all \(maxSubrooms) sub-rooms of \(snapshot.room) have \(capacity) participants")
    }
}
