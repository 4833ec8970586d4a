import EchoPluginAPI
import EchoPluginTesting
import EchoSubroomStrategies
import Foundation
import Testing

/// The conformance kit as a plugin author runs it from their own tests.
@Suite("StrategyConformance")
struct StrategyConformanceTests {
    @Test("passes both built-ins, whatever their configuration", arguments: [1, 7, 42] as [UInt64])
    func builtins(seed: UInt64) {
        let strategies: [any SubroomStrategy] = [
            CapacityStrategy(configuration: .init()),
            CapacityStrategy(configuration: .init(capacity: 3, maxSubrooms: 2)),
            LoadWeightedStrategy(configuration: .init()),
            LoadWeightedStrategy(configuration: .init(loadLimit: 10, maxSubrooms: 4)),
        ]
        for strategy in strategies {
            let report = StrategyConformance(strategy, seed: seed, snapshots: 300).run()
            #expect(report.passed, "\(report)")
            #expect(report.fuelMax == nil && report.description.contains("not metered"))
        }
    }

    /// Seats one more than its cap allows in sub-room 1 whenever the room holds an odd number of seats.
    struct OverfillingStrategy: SubroomStrategy {
        static let name = "overfilling"
        static let apiVersion = PluginAPIVersion(1, 6)
        init(configuration: EmptyPluginConfiguration, context: PluginContext) async throws {}
        init() {}

        func maxParticipants(limits: SubroomLimits) -> Int? { limits.capacity }

        func decide(_ request: SubroomRequest, in snapshot: SubroomSnapshot, now: Date) -> SubroomDecision {
            if snapshot.subrooms.reduce(0, { $0 + $1.seats.count }) % 2 == 1 { return .assign(1) }
            return CapacityStrategy(configuration: .init()).decide(request, in: snapshot, now: now)
        }
    }

    @Test("fails a strategy that overfills, with the smallest snapshot that shows it")
    func counterexample() throws {
        let report = StrategyConformance(OverfillingStrategy(), defaults: SubroomLimits(capacity: 4, maxSubrooms: 3), seed: 3, snapshots: 300).run()
        #expect(!report.passed)
        let failure = try #require(report.failures.first { $0.check.hasPrefix("never assigns") })
        #expect(failure.problem == "assigned sub-room 1, which already holds 4 of its declared maximum 4", "\(report)")
        // Shrunk: sub-room 1 full and nothing else that is not needed for an odd count.
        let input = try #require(try JSONSerialization.jsonObject(with: Data(failure.snapshot.utf8)) as? [String: Any])
        let subrooms = try #require(input["subrooms"] as? [[String: Any]])
        let counts = subrooms.map { ($0["seats"] as? [Any] ?? []).count }
        #expect(subrooms.first?["index"] as? Int == 1 && counts.first == 4, "\(failure.snapshot)")
        #expect(counts.reduce(0, +) % 2 == 1 && counts.reduce(0, +) <= 5, "\(failure.snapshot)")
        #expect(report.description.contains("FAIL never assigns") && report.description.hasSuffix("FAIL"))
    }

    @Test("the same seed gives the same snapshots")
    func reproducible() {
        let first = StrategyConformance(OverfillingStrategy(), seed: 9, snapshots: 200).run()
        let second = StrategyConformance(OverfillingStrategy(), seed: 9, snapshots: 200).run()
        #expect(first.failures.map(\.snapshot) == second.failures.map(\.snapshot) && !first.failures.isEmpty)
    }
}
