import EchoPluginAPI
import Foundation

/// Replays a ``Replay`` through one strategy: each arrival asks it with a snapshot of the seats
/// so far (all joined, publishing as the trace set), an assignment takes a seat, a refusal or
/// failure leaves the user out, a leave frees the seat. The decision clock is ``epoch`` plus
/// the trace's time.
struct SubroomSimulator {
    /// 2025-01-01T00:00:00Z, the instant a trace's time 0 stands for.
    static let epoch = Date(timeIntervalSince1970: 1_735_689_600)

    let strategy: SimulatedStrategy
    let room: String
    /// Occupied sub-rooms, ordered by index.
    private var subrooms: [SubroomOccupancy] = []
    /// Where each seated user sits.
    private var seats: [UserID: Int] = [:]
    private var result: SimulationResult

    private init(strategy: SimulatedStrategy, room: String, end: Double) {
        self.strategy = strategy
        self.room = room
        result = SimulationResult(strategy, end: end)
    }

    /// Replays `replay`, keeping decision `explain` (1-based) in full.
    static func run(_ replay: Replay, through strategy: SimulatedStrategy, room: String, explain: Int? = nil) -> SimulationResult {
        var simulator = SubroomSimulator(strategy: strategy, room: room, end: replay.end)
        let clock = ContinuousClock()
        simulator.result.timings.reserveCapacity(replay.decisions)
        for (time, step) in replay.steps {
            simulator.result.statistics.advance(to: time, counts: simulator.subrooms.lazy.map(\.seats.count))
            switch step {
            case .arrive(let request, let number):
                let snapshot = SubroomSnapshot(room: room, subrooms: simulator.subrooms, limits: strategy.limits)
                let now = epoch.addingTimeInterval(time)
                let started = clock.now
                let answer = strategy.ask(request, in: snapshot, now: now)
                simulator.result.timings.append(clock.now - started)
                simulator.record(answer, for: request, at: time)
                if number == explain {
                    simulator.result.explained = ExplainedDecision(
                        number: number, time: time, userName: replay.userNames[request.userID] ?? "", request: request,
                        input: SubroomDecisionInput(request: request, snapshot: snapshot, now: now), answer: answer)
                }
            case .leave(let user):
                simulator.leave(user, at: time)
            case .publish(let user, let sources):
                simulator.publish(sources, for: user)
            }
        }
        simulator.result.statistics.advance(to: replay.end, counts: simulator.subrooms.lazy.map(\.seats.count))
        return simulator.result
    }

    private mutating func record(_ answer: SimulatedStrategy.Answer, for request: SubroomRequest, at time: Double) {
        result.decisions += 1
        if let fuel = answer.fuel { result.fuel.append(fuel) }
        if let failure = answer.failure { result.failures[failure.reason, default: 0] += 1 }
        guard case .success(let decision) = answer.result else { return }
        guard let index = decision.assignedIndex else {
            result.refusals += 1
            return
        }
        result.seated += 1
        if answer.isFallback { result.seatedByFallback += 1 }
        let seat = SubroomSeat(userID: request.userID, state: .joined, isListenOnly: request.isListenOnly)
        let position = subrooms.firstIndex { $0.index >= index } ?? subrooms.endIndex
        if position < subrooms.endIndex, subrooms[position].index == index {
            subrooms[position].seats.append(seat)
        } else {
            subrooms.insert(SubroomOccupancy(index: index, seats: [seat]), at: position)
        }
        seats[request.userID] = index
        result.statistics.record(index: index, seats: subrooms[position].seats.count, open: subrooms.count, at: time)
    }

    private mutating func leave(_ user: UserID, at time: Double) {
        guard let index = seats.removeValue(forKey: user), let position = subrooms.firstIndex(where: { $0.index == index }) else { return }
        subrooms[position].seats.removeAll { $0.userID == user }
        let remaining = subrooms[position].seats.count
        if remaining == 0 { subrooms.remove(at: position) }
        result.statistics.record(index: index, seats: remaining, open: subrooms.count, at: time)
    }

    private mutating func publish(_ sources: Set<TrackSource>, for user: UserID) {
        guard let index = seats[user], let position = subrooms.firstIndex(where: { $0.index == index }),
            let seat = subrooms[position].seats.firstIndex(where: { $0.userID == user })
        else { return }
        subrooms[position].seats[seat].publishing = sources
    }
}
