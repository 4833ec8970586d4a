public import EchoPluginAPI
public import Foundation

/// `subrooms.even`: keeps the open sub-rooms evenly filled. A newcomer goes to the open sub-room
/// with the fewest people (the lowest index among equals); a new sub-room opens only when every
/// open one holds at least `open_at` people, so a busy room spreads early instead of filling
/// sub-room 1 to the brim first. Never above `capacity`, never beyond `max_subrooms`; a
/// preferred sub-room with space is honoured.
///
/// ```json
/// {"plugin": "even", "config": {"open_at": 8, "capacity": 25}}
/// ```
public struct EvenStrategy: SubroomStrategy {
    public static let name = "even"
    public static let apiVersion = PluginAPIVersion(1, 6)

    public struct Configuration: PluginConfiguration {
        /// How full every open sub-room must be before another opens.
        public var openAt: Int
        /// Participants per sub-room; absent takes `livekit_subroom_capacity`.
        public var capacity: Int?
        /// The most sub-rooms; absent takes `livekit_max_subrooms`.
        public var maxSubrooms: Int?

        enum CodingKeys: String, CodingKey {
            case openAt = "open_at"
            case capacity
            case maxSubrooms = "max_subrooms"
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            openAt = try container.decodeIfPresent(Int.self, forKey: .openAt) ?? 8
            capacity = try container.decodeIfPresent(Int.self, forKey: .capacity)
            maxSubrooms = try container.decodeIfPresent(Int.self, forKey: .maxSubrooms)
        }

        public func validate() throws {
            guard openAt >= 1 else { throw ConfigIssue(key: "open_at", "must be at least 1") }
            if let capacity, !(1...100_000).contains(capacity) { throw ConfigIssue(key: "capacity", "must be between 1 and 100000") }
            if let capacity, openAt > capacity { throw ConfigIssue(key: "open_at", "must not exceed capacity (\(capacity))") }
            if let maxSubrooms, !(1...1000).contains(maxSubrooms) { throw ConfigIssue(key: "max_subrooms", "must be between 1 and 1000") }
        }
    }

    let configuration: Configuration

    public init(configuration: Configuration, context: PluginContext) async throws {
        self.configuration = configuration
    }

    public func limits(defaults: SubroomLimits) -> SubroomLimits {
        SubroomLimits(capacity: configuration.capacity ?? defaults.capacity, maxSubrooms: configuration.maxSubrooms ?? defaults.maxSubrooms)
    }

    public func maxParticipants(limits: SubroomLimits) -> Int? { limits.capacity }

    public func decide(_ request: SubroomRequest, in snapshot: SubroomSnapshot, now: Date) -> SubroomDecision {
        let (capacity, maxSubrooms) = (snapshot.limits.capacity, snapshot.limits.maxSubrooms)
        let count = { (index: Int) in snapshot.occupancy(of: index).seats.count }
        if let preferred = request.preferredIndex, (1...maxSubrooms).contains(preferred), count(preferred) < capacity {
            return .assign(preferred)
        }
        let open = snapshot.subrooms.map(\.index).filter { (1...maxSubrooms).contains($0) && count($0) > 0 }
        let emptiest = open.min { (count($0), $0) < (count($1), $1) }
        let threshold = min(configuration.openAt, capacity)
        if let emptiest, count(emptiest) < threshold { return .assign(emptiest) }
        if let fresh = (1...maxSubrooms).first(where: { count($0) == 0 }) { return .assign(fresh) }
        if let emptiest, count(emptiest) < capacity { return .assign(emptiest) }
        return .refuse("all \(maxSubrooms) sub-rooms of \(snapshot.room) have \(capacity) participants")
    }
}
