public import EchoPluginAPI
import Foundation

/// The conformance kit for sub-room strategies, native or WebAssembly: thousands of generated
/// snapshots (seeded, so a run is reproducible), and on each the rules the host relies on.
///
/// - it never assigns a sub-room beyond `max_subrooms`, or one already holding its declared maximum;
/// - it honours `preferred_index` when that sub-room has room (at most half its cap taken, by
///   participants who publish nothing);
/// - it answers the same input the same way twice;
/// - it decides (within its fuel, for a metered module) on a 1,000-seat snapshot;
/// - it never fails a decision (a trap, fuel, memory, a negative answer).
///
/// `echochat strategy test` runs it on a module or a built-in; a plugin author runs it from
/// their own tests:
///
/// ```swift
/// @Test func conformance() {
///     let report = StrategyConformance(MyStrategy(configuration: .init())).run()
///     #expect(report.passed, "\(report)")
/// }
/// ```
///
/// - Note: Added with EchoPluginAPI 1.6.
public struct StrategyConformance: Sendable {
    /// The strategy under test.
    public let strategy: any SubroomStrategy
    /// The limits it works within: the host's defaults as the strategy resolves them.
    public let limits: SubroomLimits
    /// Seeds the generated snapshots.
    public let seed: UInt64
    /// How many snapshots to generate.
    public let snapshots: Int

    /// Prepares a run. `defaults` are the host's (`livekit_subroom_capacity`, `livekit_max_subrooms`).
    public init(
        _ strategy: any SubroomStrategy, defaults: SubroomLimits = SubroomLimits(capacity: 50, maxSubrooms: 25), seed: UInt64 = 1,
        snapshots: Int = 2_000
    ) {
        self.strategy = strategy
        self.limits = strategy.limits(defaults: defaults)
        self.seed = seed
        self.snapshots = snapshots
    }

    /// The declared maximum of one sub-room, if any.
    public var maxParticipants: Int? { strategy.maxParticipants(limits: limits) }

    /// Runs every check on every snapshot; stops a check at its first counterexample, which it
    /// shrinks to the smallest snapshot that still fails.
    public func run() -> StrategyConformanceReport {
        var generator = SnapshotGenerator(seed: seed, limits: limits, cap: cap, halfCap: halfCap)
        var failures: [StrategyConformanceReport.Failure] = []
        var fuel: [UInt64] = []
        var decisions = 0
        func examine(_ test: Case, with checks: [Check]) -> SubroomAttempt {
            let attempt = self.attempt(test)
            decisions += 1
            if let used = attempt.fuel { fuel.append(used) }
            for check in checks where !failures.contains(where: { $0.check == check.title }) {
                guard let problem = check.problem(self, test, attempt) else { continue }
                let smallest = Shrinker(conformance: self, check: check).shrink(test)
                failures.append(.init(check: check.title, problem: check.problem(self, smallest) ?? problem, snapshot: smallest.input.text))
            }
            return attempt
        }
        for _ in 0..<snapshots {
            _ = examine(generator.next(), with: Check.generated)
            decisions += 1  // the determinism check's second answer
        }
        let large = examine(generator.large(seats: 1_000), with: [.large])
        return StrategyConformanceReport(
            strategy: Self.label(of: strategy), limits: limits, maxParticipants: maxParticipants, seed: seed, snapshots: snapshots,
            decisions: decisions, failures: failures, fuel: fuel, largeSnapshotFuel: large.fuel)
    }

    /// One decision, as the host would take it.
    func attempt(_ test: Case) -> SubroomAttempt {
        if let fallible = strategy as? any FallibleSubroomStrategy {
            return fallible.attempt(test.input.request, in: test.input.snapshot, now: test.now)
        }
        return SubroomAttempt(.success(strategy.decide(test.input.request, in: test.input.snapshot, now: test.now)))
    }

    static func label(of strategy: any SubroomStrategy) -> String {
        (strategy as? any CustomStringConvertible)?.description ?? type(of: strategy).name
    }
}

/// One generated decision: who asks, the room's seats, and the clock.
struct Case: Sendable {
    var input: SubroomDecisionInput
    var now: Date { Date(timeIntervalSince1970: Double(input.nowMilliseconds) / 1000) }
}

extension StrategyConformance {
    /// The first generated snapshot on which `self`'s strategy and `other` answer differently,
    /// as the decision input JSON with both answers; `nil` when they agree on every one. For
    /// porting a strategy: a module and its native twin must agree everywhere.
    public func firstDifference(from other: any SubroomStrategy) -> String? {
        var generator = SnapshotGenerator(seed: seed, limits: limits, cap: cap, halfCap: halfCap)
        let twin = StrategyConformance(other, defaults: limits, seed: seed, snapshots: snapshots)
        for _ in 0..<snapshots {
            let test = generator.next()
            let (mine, theirs) = (attempt(test).result, twin.attempt(test).result)
            if mine != theirs {
                return "\(test.input.text)\n\(Self.label(of: strategy)): \(Check.describe(mine))\n\(Self.label(of: other)): \(Check.describe(theirs))"
            }
        }
        return nil
    }
}
