// A strategy that is not one of the built-ins: it spreads people over sub-rooms instead of
// filling one before the next.
//
//     echochat strategy build Examples/Strategies/spread.swift -o spread.wasm
//
// Settings: {"per_subroom": 8, "open_at": 6}. per_subroom (required, 1…1000) is the most one
// sub-room holds; open_at (1…per_subroom, default per_subroom) is how full every open sub-room
// must be before the next one opens.

/// A newcomer goes to the sub-room they asked for while it has fewer than `per_subroom` people;
/// otherwise to the open sub-room with the fewest people, as long as it has fewer than `open_at`
/// (ties to the lower index); otherwise to the lowest empty sub-room within the host's
/// `max_subrooms`; otherwise the request is refused.
struct Spread: WasmStrategy {
    static func validate(_ settings: StrategySettings) -> String? {
        if let key = settings.firstKey(notIn: ["per_subroom", "open_at"]) {
            return "\(key): unknown key"
        }
        guard let perSubroom = settings.int("per_subroom"), (1...1000).contains(perSubroom) else {
            return "per_subroom: required, an integer from 1 to 1000"
        }
        if settings.contains("open_at") {
            guard let openAt = settings.int("open_at"), (1...perSubroom).contains(openAt) else {
                return "open_at: must be an integer from 1 to per_subroom (\(perSubroom))"
            }
        }
        return nil
    }

    static func maxParticipants(limits: SubroomLimits, settings: StrategySettings) -> Int? {
        settings.int("per_subroom")
    }

    static func decide(_ request: SubroomRequest, in snapshot: SubroomSnapshot, settings: StrategySettings) -> SubroomDecision {
        guard let perSubroom = settings.int("per_subroom") else { return .refuse("spread is not configured") }
        let openAt = settings.int("open_at") ?? perSubroom
        let maxSubrooms = snapshot.limits.maxSubrooms
        func isAllowed(_ index: Int) -> Bool { index >= 1 && index <= maxSubrooms }

        if let preferred = request.preferredIndex, isAllowed(preferred),
            snapshot.occupancy(of: preferred).seats.count < perSubroom {
            return .assign(preferred)
        }
        var emptiest: SubroomOccupancy?
        var firstFree = 1
        for occupancy in snapshot.subrooms where !occupancy.seats.isEmpty && isAllowed(occupancy.index) {
            if occupancy.index == firstFree { firstFree += 1 }
            if emptiest.map({ occupancy.seats.count < $0.seats.count }) ?? true {
                emptiest = occupancy
            }
        }
        if let emptiest, emptiest.seats.count < openAt {
            return .assign(emptiest.index)
        }
        if firstFree <= maxSubrooms {
            return .assign(firstFree)
        }
        return .refuse("all \(maxSubrooms) sub-rooms of \(snapshot.room) are open and none has fewer than \(openAt) participants")
    }
}

typealias ExportedStrategy = Spread
