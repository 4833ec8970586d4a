// The built-in `subrooms.capacity` strategy, ported to the WebAssembly SDK: it answers exactly as
// the native one does for the same settings and snapshot.
//
//     echochat strategy build Examples/Strategies/capacity.swift -o capacity.wasm
//
// Settings: {"capacity": 50, "max_subrooms": 25, "moderator_headroom": 1}; an absent capacity or
// max_subrooms takes the host's livekit_subroom_capacity / livekit_max_subrooms (the snapshot's
// limits).

/// Fills sub-room 1 up to its capacity, then 2, and so on; never above capacity, never beyond
/// `max_subrooms`. When every sub-room is full it refuses rather than overfilling one. A
/// preferred sub-room with space comes first, then the one where most of the user's companions
/// sit; a room moderator may go `moderator_headroom` above capacity.
struct Capacity: WasmStrategy {
    static func validate(_ settings: StrategySettings) -> String? {
        if let key = settings.firstKey(notIn: ["capacity", "max_subrooms", "moderator_headroom"]) {
            return "\(key): unknown key"
        }
        if settings.contains("capacity"), !isInteger(settings.int("capacity"), in: 1...100_000) {
            return "capacity: must be between 1 and 100000"
        }
        if settings.contains("max_subrooms"), !isInteger(settings.int("max_subrooms"), in: 1...1000) {
            return "max_subrooms: must be between 1 and 1000"
        }
        if settings.contains("moderator_headroom"), !isInteger(settings.int("moderator_headroom"), in: 0...100) {
            return "moderator_headroom: must be between 0 and 100"
        }
        return nil
    }

    /// The effective capacity. The host's own capacity is not known at configure time, so
    /// without a `capacity` setting this answers `nil` and the host uses its default.
    static func maxParticipants(limits: SubroomLimits, settings: StrategySettings) -> Int? {
        limits.capacity > 0 ? limits.capacity + headroom(settings) : nil
    }

    static func headroom(_ settings: StrategySettings) -> Int { settings.int("moderator_headroom") ?? 1 }

    static func decide(_ request: SubroomRequest, in snapshot: SubroomSnapshot, settings: StrategySettings) -> SubroomDecision {
        // What the native strategy's limits(defaults:) does: its settings override the host's.
        let capacity = settings.int("capacity") ?? snapshot.limits.capacity
        let maxSubrooms = settings.int("max_subrooms") ?? snapshot.limits.maxSubrooms
        // A moderator's headroom lets them into a full sub-room they ask for, or anywhere when
        // every sub-room is full; otherwise they are seated like anyone.
        let reach = capacity + (request.isModerator ? headroom(settings) : 0)
        func hasSpace(_ index: Int, below cap: Int) -> Bool {
            index >= 1 && index <= maxSubrooms && snapshot.occupancy(of: index).seats.count < cap
        }
        if let preferred = request.preferredIndex, hasSpace(preferred, below: reach) {
            return .assign(preferred)
        }
        if let companions = request.companionsSubroom, hasSpace(companions, below: reach) {
            return .assign(companions)
        }
        for cap in [capacity, reach] {
            var index = 1
            while index <= maxSubrooms {
                if hasSpace(index, below: cap) { return .assign(index) }
                index += 1
            }
        }
        return .refuse("all \(maxSubrooms) sub-rooms of \(snapshot.room) have \(capacity) participants")
    }

    private static func isInteger(_ value: Int?, in range: ClosedRange<Int>) -> Bool {
        value.map(range.contains) ?? false
    }
}

typealias ExportedStrategy = Capacity
