public import EchoPluginAPI
public import Foundation

/// `subrooms.load-weighted`: each participant weighs what they publish (a screen share more than a
/// camera, a camera more than a microphone, a listener least). A newcomer goes to the open
/// sub-room with the lowest load that stays within `load_limit` with them in it; when none can
/// take them, the next sub-room opens; beyond `max_subrooms` the request is refused. Ties go to
/// the lower index, so the same snapshot always gives the same answer.
public struct LoadWeightedStrategy: SubroomStrategy {
    public static let name = "load-weighted"
    public static let apiVersion = PluginAPIVersion(1, 8)

    /// What each kind of participation weighs.
    public struct Weights: Codable, Hashable, Sendable {
        /// A screen share's video.
        public var screenShare: Double
        /// A screen share's audio.
        public var screenShareAudio: Double
        /// A camera.
        public var camera: Double
        /// A microphone; also what a newcomer who may speak is counted as until their tracks are known.
        public var microphone: Double
        /// Someone who publishes nothing (or may only listen).
        public var listener: Double

        enum CodingKeys: String, CodingKey {
            case screenShare = "screen_share"
            case screenShareAudio = "screen_share_audio"
            case camera, microphone, listener
        }

        public init(screenShare: Double = 4, screenShareAudio: Double = 0, camera: Double = 3, microphone: Double = 1, listener: Double = 0.5) {
            self.screenShare = screenShare
            self.screenShareAudio = screenShareAudio
            self.camera = camera
            self.microphone = microphone
            self.listener = listener
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            let defaults = Weights()
            screenShare = try container.decodeIfPresent(Double.self, forKey: .screenShare) ?? defaults.screenShare
            screenShareAudio = try container.decodeIfPresent(Double.self, forKey: .screenShareAudio) ?? defaults.screenShareAudio
            camera = try container.decodeIfPresent(Double.self, forKey: .camera) ?? defaults.camera
            microphone = try container.decodeIfPresent(Double.self, forKey: .microphone) ?? defaults.microphone
            listener = try container.decodeIfPresent(Double.self, forKey: .listener) ?? defaults.listener
        }

        func weight(of source: TrackSource) -> Double {
            switch source {
            case .screenShare: screenShare
            case .screenShareAudio: screenShareAudio
            case .camera: camera
            case .microphone: microphone
            }
        }
    }

    /// `{"load_limit": 60, "max_subrooms": 25, "weights": {...}, "moderator_headroom": 1}`.
    public struct Configuration: PluginConfiguration {
        /// The most load one sub-room carries.
        public var loadLimit: Double
        /// The most sub-rooms one room spreads over; absent means `livekit_max_subrooms`.
        public var maxSubrooms: Int?
        /// What each kind of participation weighs.
        public var weights: Weights
        /// How many newcomers' worth of load room moderators (and above) may add beyond
        /// `load_limit`, so that one can always reach a full sub-room.
        public var moderatorHeadroom: Int

        enum CodingKeys: String, CodingKey {
            case loadLimit = "load_limit"
            case maxSubrooms = "max_subrooms"
            case weights
            case moderatorHeadroom = "moderator_headroom"
        }

        public init(loadLimit: Double = 60, maxSubrooms: Int? = nil, weights: Weights = Weights(), moderatorHeadroom: Int = 1) {
            self.loadLimit = loadLimit
            self.maxSubrooms = maxSubrooms
            self.weights = weights
            self.moderatorHeadroom = moderatorHeadroom
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            loadLimit = try container.decodeIfPresent(Double.self, forKey: .loadLimit) ?? 60
            maxSubrooms = try container.decodeIfPresent(Int.self, forKey: .maxSubrooms)
            weights = try container.decodeIfPresent(Weights.self, forKey: .weights) ?? Weights()
            moderatorHeadroom = try container.decodeIfPresent(Int.self, forKey: .moderatorHeadroom) ?? 1
        }

        public func validate() throws {
            guard loadLimit.isFinite, loadLimit > 0, loadLimit <= 1_000_000 else {
                throw ConfigIssue(key: "load_limit", "must be a number above 0 and at most 1000000")
            }
            if let maxSubrooms, !(1...1000).contains(maxSubrooms) {
                throw ConfigIssue(key: "max_subrooms", "must be between 1 and 1000")
            }
            if !(0...100).contains(moderatorHeadroom) {
                throw ConfigIssue(key: "moderator_headroom", "must be between 0 and 100")
            }
            let named: [(String, Double)] = [
                ("screen_share", weights.screenShare), ("screen_share_audio", weights.screenShareAudio), ("camera", weights.camera),
                ("microphone", weights.microphone), ("listener", weights.listener),
            ]
            for (key, value) in named where !(value.isFinite && value >= 0 && value <= loadLimit) {
                throw ConfigIssue(keyPath: ["weights", key], message: "must be a number from 0 to load_limit (\(loadLimit))")
            }
            guard weights.listener > 0 else {
                throw ConfigIssue(keyPath: ["weights", "listener"], message: "must be above 0, so that every participant counts")
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

    /// The load a seat adds: what it publishes; a listener's weight when it publishes nothing; a
    /// microphone's when it is a reservation that may speak and its tracks are not known yet.
    public func weight(of seat: SubroomSeat) -> Double {
        let weights = configuration.weights
        if !seat.publishing.isEmpty {
            return max(seat.publishing.reduce(0) { $0 + weights.weight(of: $1) }, weights.listener)
        }
        if seat.state == .reserved && !seat.isListenOnly { return max(weights.microphone, weights.listener) }
        return weights.listener
    }

    /// A sub-room's load.
    public func load(of occupancy: SubroomOccupancy) -> Double {
        occupancy.seats.reduce(0) { $0 + weight(of: $1) }
    }

    public func limits(defaults: SubroomLimits) -> SubroomLimits {
        SubroomLimits(capacity: defaults.capacity, maxSubrooms: configuration.maxSubrooms ?? defaults.maxSubrooms)
    }

    public func maxParticipants(limits: SubroomLimits) -> Int? {
        // The same tolerance as `decide`, so that the cap never falls one short of what it grants.
        Int((configuration.loadLimit / configuration.weights.listener + 1e-9).rounded(.down)) + configuration.moderatorHeadroom
    }

    public func decide(_ request: SubroomRequest, in snapshot: SubroomSnapshot, now: Date) -> SubroomDecision {
        let maxSubrooms = snapshot.limits.maxSubrooms
        let limit = configuration.loadLimit
        let newcomer = weight(of: SubroomSeat(userID: request.userID, state: .reserved, isListenOnly: request.isListenOnly))
        // A moderator may go beyond the limit by `moderator_headroom` newcomers like them, into a
        // sub-room they ask for, or anywhere when no sub-room can take them otherwise.
        let headroom = request.isModerator ? Double(configuration.moderatorHeadroom) * newcomer : 0
        // A small tolerance, so that weights like 0.1 adding up to the limit are not refused by rounding.
        func fits(_ load: Double, extra: Double = 0) -> Bool { load + newcomer <= limit + extra + 1e-9 }
        // Whatever the load, never more people than the declared maximum LiveKit is told.
        let most = maxParticipants(limits: snapshot.limits) ?? Int.max
        func hasSeat(_ occupancy: SubroomOccupancy) -> Bool { occupancy.seats.count < most }
        func takes(_ index: Int) -> Bool {
            let occupancy = snapshot.occupancy(of: index)
            return (1...maxSubrooms).contains(index) && fits(load(of: occupancy), extra: headroom) && hasSeat(occupancy)
        }
        let open = snapshot.subrooms.filter { !$0.seats.isEmpty && (1...maxSubrooms).contains($0.index) }
        if let preferred = request.preferredIndex, takes(preferred) {
            return .assign(preferred)
        }
        if let companions = request.companionsSubroom, takes(companions) {
            return .assign(companions)
        }
        let candidates = open.map { ($0.index, load(of: $0)) }.filter { fits($0.1) }
        if let best = candidates.min(by: { ($0.1, $0.0) < ($1.1, $1.0) }) {
            return .assign(best.0)
        }
        let occupied = Set(open.map(\.index))
        if fits(0), let fresh = (1...maxSubrooms).first(where: { !occupied.contains($0) }) {
            return .assign(fresh)
        }
        if headroom > 0,
            let squeezed = open.filter(hasSeat).map({ ($0.index, load(of: $0)) }).filter({ fits($0.1, extra: headroom) })
                .min(by: { ($0.1, $0.0) < ($1.1, $1.0) })
        {
            return .assign(squeezed.0)
        }
        return .refuse("every sub-room of \(snapshot.room) is at its load limit of \(limit.formatted()) and all \(maxSubrooms) are open")
    }
}
