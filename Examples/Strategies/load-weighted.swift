// The built-in `subrooms.load-weighted` strategy, ported to the WebAssembly SDK: it answers
// exactly as the native one does for the same settings and snapshot.
//
//     echochat strategy build Examples/Strategies/load-weighted.swift -o load-weighted.wasm
//
// Settings: {"load_limit": 60, "max_subrooms": 25, "weights": {"screen_share": 4,
// "screen_share_audio": 0, "camera": 3, "microphone": 1, "listener": 0.5}, "moderator_headroom": 1};
// every key is optional, and an absent max_subrooms takes the host's livekit_max_subrooms.

/// Each participant weighs what they publish (a screen share more than a camera, a camera more
/// than a microphone, a listener least). A newcomer goes to the open sub-room with the lowest
/// load that stays within `load_limit` with them in it; when none can take them, the next
/// sub-room opens; beyond `max_subrooms` the request is refused. Ties go to the lower index.
struct LoadWeighted: WasmStrategy {
    /// What each kind of participation weighs.
    struct Weights {
        var screenShare = 4.0
        var screenShareAudio = 0.0
        var camera = 3.0
        var microphone = 1.0
        var listener = 0.5

        init(_ settings: StrategySettings?) {
            guard let settings else { return }
            screenShare = settings.double("screen_share") ?? screenShare
            screenShareAudio = settings.double("screen_share_audio") ?? screenShareAudio
            camera = settings.double("camera") ?? camera
            microphone = settings.double("microphone") ?? microphone
            listener = settings.double("listener") ?? listener
        }

        func weight(of source: TrackSource) -> Double {
            switch source {
            case .screenShare: screenShare
            case .screenShareAudio: screenShareAudio
            case .camera: camera
            case .microphone: microphone
            }
        }

        /// The load a seat adds: what it publishes; a listener's weight when it publishes
        /// nothing; a microphone's when it is a reservation that may speak.
        func weight(of seat: SubroomSeat) -> Double {
            if !seat.publishing.isEmpty {
                return max(seat.publishing.reduce(0) { $0 + weight(of: $1) }, listener)
            }
            if seat.state == .reserved && !seat.isListenOnly { return max(microphone, listener) }
            return listener
        }
    }

    static let weightKeys = ["screen_share", "screen_share_audio", "camera", "microphone", "listener"]

    static func validate(_ settings: StrategySettings) -> String? {
        if let key = settings.firstKey(notIn: ["load_limit", "max_subrooms", "weights", "moderator_headroom"]) { return "\(key): unknown key" }
        if let issue = typeIssue(settings, "load_limit", settings.double) { return issue }
        if let issue = typeIssue(settings, "max_subrooms", settings.int, expected: "an integer") { return issue }
        if settings.contains("weights") && !settings.isNull("weights") && settings.object("weights") == nil {
            return "weights: must be an object"
        }
        let weightSettings = settings.object("weights")
        if let weightSettings {
            if let key = weightSettings.firstKey(notIn: weightKeys) { return "weights.\(key): unknown key" }
            for key in weightKeys {
                if let issue = typeIssue(weightSettings, key, weightSettings.double) { return "weights." + issue }
            }
        }
        // The native Configuration.validate(), in its order and words.
        let loadLimit = settings.double("load_limit") ?? 60
        guard loadLimit.isFinite, loadLimit > 0, loadLimit <= 1_000_000 else {
            return "load_limit: must be a number above 0 and at most 1000000"
        }
        if let maxSubrooms = settings.int("max_subrooms"), !(1...1000).contains(maxSubrooms) {
            return "max_subrooms: must be between 1 and 1000"
        }
        if let issue = typeIssue(settings, "moderator_headroom", settings.int, expected: "an integer") { return issue }
        if !(0...100).contains(headroom(settings)) {
            return "moderator_headroom: must be between 0 and 100"
        }
        let weights = Weights(weightSettings)
        let named = [weights.screenShare, weights.screenShareAudio, weights.camera, weights.microphone, weights.listener]
        for (key, value) in zip(weightKeys, named) where !(value.isFinite && value >= 0 && value <= loadLimit) {
            return "weights.\(key): must be a number from 0 to load_limit (\(loadLimit))"
        }
        guard weights.listener > 0 else {
            return "weights.listener: must be above 0, so that every participant counts"
        }
        return nil
    }

    /// As the native strategy: the most listeners that fit, with the same tolerance as `decide`.
    static func maxParticipants(limits: SubroomLimits, settings: StrategySettings) -> Int? {
        let loadLimit = settings.double("load_limit") ?? 60
        let count = (loadLimit / Weights(settings.object("weights")).listener + 1e-9).rounded(.down)
        let headroom = Double(headroom(settings))
        return count + headroom < Double(Int.max) ? Int(count + headroom) : Int.max  // Int is 32 bits here
    }

    static func headroom(_ settings: StrategySettings) -> Int { settings.int("moderator_headroom") ?? 1 }

    static func decide(_ request: SubroomRequest, in snapshot: SubroomSnapshot, settings: StrategySettings) -> SubroomDecision {
        let maxSubrooms = settings.int("max_subrooms") ?? snapshot.limits.maxSubrooms
        let limit = settings.double("load_limit") ?? 60
        let weights = Weights(settings.object("weights"))
        let newcomer = weights.weight(of: SubroomSeat(userID: request.userID, state: .reserved, isListenOnly: request.isListenOnly))
        // A moderator may go beyond the limit by `moderator_headroom` newcomers like them, into a
        // sub-room they ask for, or anywhere when no sub-room can take them otherwise.
        let headroom = request.isModerator ? Double(headroom(settings)) * newcomer : 0
        // A small tolerance, so that weights like 0.1 adding up to the limit are not refused by rounding.
        func fits(_ load: Double, extra: Double = 0) -> Bool { load + newcomer <= limit + extra + 1e-9 }
        func load(of occupancy: SubroomOccupancy) -> Double {
            occupancy.seats.reduce(0) { $0 + weights.weight(of: $1) }
        }
        func isAllowed(_ index: Int) -> Bool { index >= 1 && index <= maxSubrooms }
        // Whatever the load, never more people than the declared maximum LiveKit is told.
        let most = maxParticipants(limits: snapshot.limits, settings: settings) ?? Int.max
        func takes(_ index: Int) -> Bool {
            let occupancy = snapshot.occupancy(of: index)
            return isAllowed(index) && fits(load(of: occupancy), extra: headroom) && occupancy.seats.count < most
        }
        let open = snapshot.subrooms.filter { !$0.seats.isEmpty && isAllowed($0.index) }
        if let preferred = request.preferredIndex, takes(preferred) {
            return .assign(preferred)
        }
        if let companions = request.companionsSubroom, takes(companions) {
            return .assign(companions)
        }
        func lightest(extra: Double) -> Int? {
            var best: (index: Int, load: Double)?
            for occupancy in open where occupancy.seats.count < most {
                let candidate = (index: occupancy.index, load: load(of: occupancy))
                guard fits(candidate.load, extra: extra) else { continue }
                if let current = best, (current.load, current.index) <= (candidate.load, candidate.index) { continue }
                best = candidate
            }
            return best?.index
        }
        if let best = lightest(extra: 0) {
            return .assign(best)
        }
        if fits(0) {
            // `open` is sorted by index: the first gap is the lowest free index.
            var fresh = 1
            for occupancy in open where occupancy.index == fresh { fresh += 1 }
            if fresh <= maxSubrooms { return .assign(fresh) }
        }
        if headroom > 0, let squeezed = lightest(extra: headroom) {
            return .assign(squeezed)
        }
        return .refuse("every sub-room of \(snapshot.room) is at its load limit of \(limit.formatted()) and all \(maxSubrooms) are open")
    }

    /// A message when `key` is present, not null, and not of the type `read` reads.
    private static func typeIssue<T>(
        _ settings: StrategySettings, _ key: String, _ read: (String) -> T?, expected: String = "a number"
    ) -> String? {
        guard settings.contains(key), !settings.isNull(key), read(key) == nil else { return nil }
        return "\(key): must be \(expected)"
    }
}

typealias ExportedStrategy = LoadWeighted
