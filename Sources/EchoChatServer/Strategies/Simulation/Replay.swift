import EchoPluginAPI

/// A trace resolved once for every strategy it is replayed through: users as numeric ids (1, 2, …
/// in the order they first appear in time), every arrival numbered as a decision, and the events that
/// cannot apply (a leave or publish of someone not there, an arrival of someone already there)
/// dropped and counted. Whether a strategy seats someone does not change this plan: a leave or
/// publish of a user it refused is a no-op in its replay.
struct Replay: Sendable {
    /// One applicable event.
    enum Step: Hashable, Sendable {
        /// The `decision`-th arrival (1-based).
        case arrive(SubroomRequest, decision: Int)
        case leave(UserID)
        case publish(UserID, Set<TrackSource>)
    }

    let steps: [(time: Double, step: Step)]
    let end: Double
    /// Users by id, for the report.
    let userNames: [UserID: String]
    let decisions: Int
    let departures: Int
    let publishingChanges: Int
    /// Leaves and publishes of users who had not arrived, or had left.
    let ignoredAbsent: Int
    /// Arrivals of users already there.
    let ignoredRepeated: Int

    init(_ trace: SimulationTrace) {
        var ids: [String: UserID] = [:]
        var names: [UserID: String] = [:]
        var present: Set<UserID> = []
        var steps: [(time: Double, step: Step)] = []
        steps.reserveCapacity(trace.events.count)
        var (decisions, departures, publishing, absent, repeated) = (0, 0, 0, 0, 0)
        for event in trace.events {
            let id: UserID
            if let known = ids[event.user] {
                id = known
            } else {
                id = UserID(Int64(ids.count + 1))
                ids[event.user] = id
                names[id] = event.user
            }
            switch event.action {
            case .arrive(let preferred, let listenOnly):
                guard present.insert(id).inserted else {
                    repeated += 1
                    continue
                }
                decisions += 1
                let request = SubroomRequest(userID: id, preferredIndex: preferred, isListenOnly: listenOnly)
                steps.append((event.time, .arrive(request, decision: decisions)))
            case .leave:
                guard present.remove(id) != nil else {
                    absent += 1
                    continue
                }
                departures += 1
                steps.append((event.time, .leave(id)))
            case .publish(let sources):
                guard present.contains(id) else {
                    absent += 1
                    continue
                }
                publishing += 1
                steps.append((event.time, .publish(id, sources)))
            }
        }
        self.steps = steps
        self.end = trace.end
        self.userNames = names
        self.decisions = decisions
        self.departures = departures
        self.publishingChanges = publishing
        self.ignoredAbsent = absent
        self.ignoredRepeated = repeated
    }
}
