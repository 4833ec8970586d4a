import EchoPluginAPI

/// What one strategy made of a replay: the counts the table prints, the occupancy the chart
/// draws, the wall-clock cost of each decision and, when asked for, one decision in full.
struct SimulationResult: Sendable {
    let label: String
    let limits: SubroomLimits
    let maxParticipants: Int?
    /// The chart's cap line.
    let cap: Int
    /// The fallback's name, when the strategy has one.
    let fallbackName: String?
    /// The replay's end, in seconds.
    let end: Double

    var decisions = 0
    var seated = 0
    /// Seated by the fallback after the strategy failed.
    var seatedByFallback = 0
    var refusals = 0
    /// The strategy's failures by reason (`out_of_fuel`, `subroom_full`, …), fallback or not.
    var failures: [String: Int] = [:]
    var statistics = OccupancyStatistics()
    /// The fuel of every metered attempt.
    var fuel: [UInt64] = []
    /// The wall-clock time of each decision, caps and fallback included.
    var timings: [Duration] = []
    /// The decision `--explain` asked for.
    var explained: ExplainedDecision?

    init(_ strategy: SimulatedStrategy, end: Double) {
        label = strategy.label
        limits = strategy.limits
        maxParticipants = strategy.maxParticipants
        cap = strategy.cap
        fallbackName = strategy.fallbackName
        self.end = end
    }

    var failureCount: Int { failures.values.reduce(0, +) }

    /// The `p`-th percentile (nearest rank) and the maximum of `fuel`; `nil` when not metered.
    func fuelPercentile(_ p: Double) -> UInt64? {
        guard !fuel.isEmpty else { return nil }
        let sorted = fuel.sorted()
        return sorted[Self.rank(p, of: sorted.count)]
    }

    /// The 0-based nearest rank of the `p`-th percentile of `count` values.
    static func rank(_ p: Double, of count: Int) -> Int {
        min(count - 1, max(0, Int((p / 100 * Double(count)).rounded(.up)) - 1))
    }
}

/// One decision in full, for `--explain`: the request, the JSON a module would receive, and
/// what became of it.
struct ExplainedDecision: Hashable, Sendable {
    let number: Int
    /// Seconds since the trace began.
    let time: Double
    let userName: String
    let request: SubroomRequest
    let input: SubroomDecisionInput
    let answer: SimulatedStrategy.Answer
}
