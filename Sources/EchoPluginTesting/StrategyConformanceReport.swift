public import EchoPluginAPI

/// What a run of ``StrategyConformance`` found: each check passed or its smallest
/// counterexample, and the fuel the decisions used (metered strategies only).
///
/// - Note: Added with EchoPluginAPI 1.6.
public struct StrategyConformanceReport: Sendable, CustomStringConvertible {
    /// A check's first counterexample, shrunk.
    public struct Failure: Sendable {
        /// The check, as the report names it.
        public let check: String
        /// What went wrong on the smallest failing snapshot.
        public let problem: String
        /// The smallest failing snapshot, as the decision input JSON a module receives.
        public let snapshot: String
    }

    /// The strategy, as logs name it.
    public let strategy: String
    /// The limits it worked within.
    public let limits: SubroomLimits
    /// Its declared maximum per sub-room.
    public let maxParticipants: Int?
    /// The seed of the generated snapshots.
    public let seed: UInt64
    /// How many snapshots were generated.
    public let snapshots: Int
    /// How many decisions were asked for.
    public let decisions: Int
    /// The checks that failed.
    public let failures: [Failure]
    let fuel: [UInt64]
    /// The fuel of the decision on the 1,000-seat snapshot.
    public let largeSnapshotFuel: UInt64?

    /// Whether every check passed.
    public var passed: Bool { failures.isEmpty }
    /// The most fuel one decision used.
    public var fuelMax: UInt64? { fuel.max() }
    /// The 99th percentile of the fuel per decision.
    public var fuelP99: UInt64? {
        guard !fuel.isEmpty else { return nil }
        let sorted = fuel.sorted()
        return sorted[min(sorted.count - 1, Int((Double(sorted.count) * 0.99).rounded(.up)) - 1)]
    }

    public var description: String {
        var lines = [
            "strategy test: \(strategy)",
            "  limits: \(limits.capacity) per sub-room, \(limits.maxSubrooms) sub-rooms; declared maximum \(maxParticipants.map(String.init) ?? "none")",
            "  \(snapshots) generated snapshots (seed \(seed)) and one of 1,000 seats: \(decisions) decisions",
        ]
        for check in Check.all {
            if let failure = failures.first(where: { $0.check == check.title }) {
                lines.append("  FAIL \(check.title)")
                lines.append("       \(failure.problem)")
                lines.append("       smallest failing snapshot:")
                lines.append("       \(failure.snapshot)")
            } else {
                lines.append("  ok   \(check.title)")
            }
        }
        if let fuelMax, let fuelP99 {
            lines.append("  fuel per decision: max \(fuelMax.grouped), p99 \(fuelP99.grouped)\(largeSnapshotFuel.map { "; 1,000 seats: \($0.grouped)" } ?? "")")
        } else {
            lines.append("  fuel: not metered (a native strategy)")
        }
        lines.append(passed ? "PASS" : "FAIL")
        return lines.joined(separator: "\n")
    }
}

extension UInt64 {
    /// `1,234,567`.
    var grouped: String {
        let digits = Array(String(self))
        return String(digits.enumerated().flatMap { offset, digit in (offset > 0 && (digits.count - offset) % 3 == 0) ? [",", digit] : [digit] })
    }
}
