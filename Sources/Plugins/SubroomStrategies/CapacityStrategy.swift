public import EchoPluginAPI
public import Foundation

/// `subrooms.capacity`: fills sub-room 1 up to its capacity, then 2, and so on; never above
/// capacity, never beyond `max_subrooms`. When every sub-room is full it refuses rather than
/// overfilling one.
public struct CapacityStrategy: SubroomStrategy {
    public static let name = "capacity"
    public static let apiVersion = PluginAPIVersion(1, 4)

    /// `{"capacity": 50, "max_subrooms": 25}`; absent keys take `livekit_subroom_capacity` and
    /// `livekit_max_subrooms` from server_config.json.
    public struct Configuration: PluginConfiguration {
        /// Participants per sub-room.
        public var capacity: Int?
        /// The most sub-rooms one room spreads over.
        public var maxSubrooms: Int?

        enum CodingKeys: String, CodingKey {
            case capacity
            case maxSubrooms = "max_subrooms"
        }

        public init(capacity: Int? = nil, maxSubrooms: Int? = nil) {
            self.capacity = capacity
            self.maxSubrooms = maxSubrooms
        }

        public func validate() throws {
            if let capacity, !(1...100_000).contains(capacity) {
                throw ConfigIssue(key: "capacity", "must be between 1 and 100000")
            }
            if let maxSubrooms, !(1...1000).contains(maxSubrooms) {
                throw ConfigIssue(key: "max_subrooms", "must be between 1 and 1000")
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
        limits.capacity
    }

    public func decide(_ request: SubroomRequest, in snapshot: SubroomSnapshot, now: Date) -> SubroomDecision {
        let (capacity, maxSubrooms) = (snapshot.limits.capacity, snapshot.limits.maxSubrooms)
        func hasSpace(_ index: Int) -> Bool {
            (1...maxSubrooms).contains(index) && snapshot.occupancy(of: index).seats.count < capacity
        }
        if let preferred = request.preferredIndex, hasSpace(preferred) {
            return .assign(preferred)
        }
        if let index = (1...maxSubrooms).first(where: hasSpace) {
            return .assign(index)
        }
        return .refuse("all \(maxSubrooms) sub-rooms of \(snapshot.room) have \(capacity) participants")
    }
}
