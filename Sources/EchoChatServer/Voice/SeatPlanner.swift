import EchoPluginAPI
import Foundation
import Synchronization

/// The seat decision made inside storage's transaction, as a pure function of the occupancy
/// storage read: the guarded strategy's answer, and whether it opens an empty sub-room (whose
/// LiveKit room may not exist yet).
struct SeatPlanner: Sendable {
    struct Plan: Hashable, Sendable {
        let decision: SubroomDecision
        /// The assigned sub-room had no seat before this one.
        let opensSubroom: Bool
        /// Why the strategy gave no usable answer; the decision is then a refusal that the token
        /// endpoint answers with 503 `strategy_failed`, not 409.
        var failure: SubroomStrategyFailure? = nil
        /// The decision for the shadow strategy to replay, when one is loaded.
        var shadow: ShadowCase? = nil
    }

    /// The live strategy, read once per decision.
    let strategy: StrategySlot

    /// `companions` are the users the requester asked to sit with: the request tells the
    /// strategy the sub-room of each who holds a seat in `occupancy`, as it stands in this
    /// transaction.
    func plan(_ request: SubroomRequest, companions: [UserID] = [], room: String, occupancy: [SubroomOccupancy], now: Date) -> Plan {
        var request = request
        if !companions.isEmpty {
            request.companionIndices = companions.compactMap { companion in
                occupancy.first { $0.seats.contains { $0.userID == companion } }?.index
            }
        }
        let active = strategy.active
        let snapshot = SubroomSnapshot(room: room, subrooms: occupancy, limits: active.limits)
        let result = active.decider.decide(request, in: snapshot, now: now)
        var plan: Plan
        switch result {
        case .success(let decision):
            let opens = decision.assignedIndex.map { snapshot.occupancy(of: $0).seats.isEmpty } ?? false
            plan = Plan(decision: decision, opensSubroom: opens)
        case .failure(let failure):
            plan = Plan(decision: .refuse("the sub-room strategy failed"), opensSubroom: false, failure: failure)
        }
        if let shadow = active.shadow {
            plan.shadow = ShadowCase(
                input: SubroomDecisionInput(request: request, snapshot: snapshot, now: now), decision: ShadowAnswer(result),
                revision: active.revision, shadow: shadow)
        }
        return plan
    }
}

/// The plan made inside a storage transaction, kept for after it commits (storage hands back
/// only the seat): whether the seat opened its sub-room, or why the strategy failed.
final class PlanRecorder: Sendable {
    private let plan = Mutex<SeatPlanner.Plan?>(nil)

    func record(_ plan: SeatPlanner.Plan) -> SeatPlanner.Plan {
        self.plan.withLock { $0 = plan }
        return plan
    }

    var last: SeatPlanner.Plan? { plan.withLock { $0 } }
}
