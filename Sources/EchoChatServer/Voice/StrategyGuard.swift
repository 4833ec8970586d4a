import EchoPluginAPI
import Foundation
import Logging

/// The host's last word on every decision: whatever the strategy answers, nobody is seated
/// beyond `max_subrooms` or in a sub-room already holding the strategy's declared maximum. A
/// failed decision (a module's trap or fuel, or an answer that breaks a cap) is logged with the
/// strategy and the fault, counted by reason, and handed to the strategy's fallback; without one
/// it stays a failure, which the token endpoint answers with 503 `strategy_failed`.
struct StrategyGuard: Sendable {
    let strategy: any SubroomStrategy
    let limits: SubroomLimits
    /// The most participants one sub-room may hold, as the strategy declared it.
    let maxParticipants: Int?
    let metrics: StrategyMetrics
    let logger: Logger
    let streak = FailureStreak()

    init(strategy: any SubroomStrategy, limits: SubroomLimits, metrics: StrategyMetrics, logger: Logger) {
        self.strategy = strategy
        self.limits = limits
        self.maxParticipants = strategy.maxParticipants(limits: limits)
        self.metrics = metrics
        self.logger = logger
    }

    func decide(_ request: SubroomRequest, in snapshot: SubroomSnapshot, now: Date) -> Result<SubroomDecision, SubroomStrategyFailure> {
        let clock = ContinuousClock()
        let started = clock.now
        let fallible = strategy as? any FallibleSubroomStrategy
        let attempt: SubroomAttempt
        if let until = streak.suspension() {
            let seconds = max(1, Int(((until - .now) / .seconds(1)).rounded(.up)))
            attempt = SubroomAttempt(
                .failure(.suspended("\(Self.name(of: strategy)) failed \(streak.threshold) decisions in a row; it is asked again in \(seconds) s")))
        } else {
            attempt = self.attempt(request, in: snapshot, now: now)
        }
        var result = attempt.result.flatMap { check($0, in: snapshot) }
        if case .failure(let failure) = result {
            if failure.reason != "suspended" { streak.record(failed: true) }
        } else {
            streak.record(failed: false)
        }
        if case .failure(let failure) = result {
            let fallback = fallible?.fallback
            logger.warning(
                "sub-room strategy failed",
                metadata: [
                    "strategy": "\(Self.name(of: strategy))", "reason": "\(failure.reason)", "fault": "\(failure.message)",
                    "room": "\(snapshot.room)", "answered_by": "\(fallback.map { "fallback \(type(of: $0).name)" } ?? "503 strategy_failed")",
                ])
            metrics.recordFailure(reason: failure.reason, fallback: fallback != nil)
            if let fallback {
                // The fallback works within the failed strategy's caps: its declared maximum is
                // what LiveKit enforces on the sub-rooms.
                var limited = snapshot
                limited.limits.capacity = min(limits.capacity, maxParticipants ?? limits.capacity)
                result = check(fallback.decide(request, in: limited, now: now), in: snapshot)
            }
        }
        metrics.recordDecision(clock.now - started, fuel: attempt.fuel)
        return result
    }

    /// The strategy's own answer, neither checked nor counted: its attempt, or its decision when
    /// it cannot fail.
    func attempt(_ request: SubroomRequest, in snapshot: SubroomSnapshot, now: Date) -> SubroomAttempt {
        if let fallible = strategy as? any FallibleSubroomStrategy { return fallible.attempt(request, in: snapshot, now: now) }
        return SubroomAttempt(.success(strategy.decide(request, in: snapshot, now: now)))
    }

    /// The decision, or the cap it would break.
    func check(_ decision: SubroomDecision, in snapshot: SubroomSnapshot) -> Result<SubroomDecision, SubroomStrategyFailure> {
        guard let index = decision.assignedIndex else { return .success(decision) }
        if index > limits.maxSubrooms {
            return .failure(.beyondMaxSubrooms("\(Self.name(of: strategy)) chose sub-room \(index) of a room with max_subrooms \(limits.maxSubrooms)"))
        }
        if let maxParticipants, snapshot.occupancy(of: index).seats.count >= maxParticipants {
            return .failure(
                .subroomFull("\(Self.name(of: strategy)) chose sub-room \(index), which already holds its maximum of \(maxParticipants)"))
        }
        return .success(decision)
    }

    /// How the strategy describes itself (`wasm spread.wasm`), else the plugin's name.
    static func name(of strategy: any SubroomStrategy) -> String {
        (strategy as? any CustomStringConvertible)?.description ?? type(of: strategy).name
    }
}
