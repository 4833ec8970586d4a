// A deliberately wrong strategy, for testing the conformance kit: it fills sub-rooms like the
// capacity strategy, except that whenever the room holds an odd number of seats in all it
// assigns sub-room 1 — even when sub-room 1 is full. Its maxParticipants still promises the
// capacity, so the kit should catch a sub-room overfilled beyond it.

struct Wrong: WasmStrategy {
    static func maxParticipants(limits: SubroomLimits, settings: StrategySettings) -> Int? {
        limits.capacity > 0 ? limits.capacity : nil
    }

    static func decide(_ request: SubroomRequest, in snapshot: SubroomSnapshot, settings: StrategySettings) -> SubroomDecision {
        let capacity = settings.int("capacity") ?? snapshot.limits.capacity
        let maxSubrooms = settings.int("max_subrooms") ?? snapshot.limits.maxSubrooms
        let seated = snapshot.subrooms.reduce(0) { $0 + $1.seats.count }
        if seated % 2 == 1 {
            return .assign(1)  // the bug: sub-room 1 may be full
        }
        var index = 1
        while index <= maxSubrooms {
            if snapshot.occupancy(of: index).seats.count < capacity { return .assign(index) }
            index += 1
        }
        return .refuse("all \(maxSubrooms) sub-rooms of \(snapshot.room) have \(capacity) participants")
    }
}

typealias ExportedStrategy = Wrong
