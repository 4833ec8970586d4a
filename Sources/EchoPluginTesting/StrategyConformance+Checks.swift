import EchoPluginAPI

/// A rule of the conformance kit: the problem it finds in one decision, or `nil`.
struct Check: Sendable {
    let title: String
    let problem: @Sendable (StrategyConformance, Case, SubroomAttempt) -> String?

    func problem(_ conformance: StrategyConformance, _ test: Case) -> String? {
        problem(conformance, test, conformance.attempt(test))
    }

    /// The checks run on every generated snapshot, in the order they are reported.
    static let generated: [Check] = [decides, caps, preference, determinism]
    /// Every check, as the report lists them.
    static let all: [Check] = generated + [large]

    static let decides = Check(title: "decides without failing (no trap, fuel, memory or negative answer)") { _, _, attempt in
        if case .failure(let failure) = attempt.result { return "the decision failed: \(failure)" }
        return nil
    }

    static let caps = Check(title: "never assigns beyond max_subrooms or into a sub-room at its declared maximum") { conformance, test, attempt in
        guard case .success(let decision) = attempt.result, let index = decision.assignedIndex else { return nil }
        let snapshot = test.input.snapshot
        if index > snapshot.limits.maxSubrooms {
            return "assigned sub-room \(index) of a room with max_subrooms \(snapshot.limits.maxSubrooms)"
        }
        if let cap = conformance.maxParticipants, snapshot.occupancy(of: index).seats.count >= cap {
            return "assigned sub-room \(index), which already holds \(snapshot.occupancy(of: index).seats.count) of its declared maximum \(cap)"
        }
        return nil
    }

    static let preference = Check(title: "honours preferred_index when that sub-room has room") { conformance, test, attempt in
        guard let preferred = test.input.request.preferredIndex, Self.hasRoom(preferred, in: test.input.snapshot, conformance: conformance),
            case .success(let decision) = attempt.result
        else { return nil }
        guard decision.assignedIndex != preferred else { return nil }
        return "asked for sub-room \(preferred), which has room, and answered \(decision)"
    }

    static let determinism = Check(title: "answers the same input the same way twice") { conformance, test, attempt in
        let again = conformance.attempt(test)
        guard again.result != attempt.result else { return nil }
        return "answered \(describe(attempt.result)) the first time and \(describe(again.result)) the second"
    }

    static let large = Check(title: "decides within its fuel on a 1,000-seat snapshot") { conformance, test, attempt in
        decides.problem(conformance, test, attempt) ?? caps.problem(conformance, test, attempt)
    }

    /// A preferred sub-room "has room" when it holds at most half its cap (the declared maximum
    /// or the capacity, whichever is lower), all joined and publishing nothing.
    static func hasRoom(_ index: Int, in snapshot: SubroomSnapshot, conformance: StrategyConformance) -> Bool {
        guard (1...snapshot.limits.maxSubrooms).contains(index) else { return false }
        let seats = snapshot.occupancy(of: index).seats
        return seats.count <= conformance.halfCap && seats.allSatisfy { $0.state == .joined && $0.publishing.isEmpty }
    }

    static func describe(_ result: Result<SubroomDecision, SubroomStrategyFailure>) -> String {
        switch result {
        case .success(let decision): decision.description
        case .failure(let failure): "a failure (\(failure))"
        }
    }
}

extension StrategyConformance {
    /// The most seats one sub-room takes in generated snapshots.
    var cap: Int { max(1, min(maxParticipants ?? limits.capacity, limits.capacity)) }
    /// At most this many seats, all listeners, leave a preferred sub-room with room.
    var halfCap: Int { cap / 2 }
}
