import EchoPluginAPI
import Foundation
import Logging
import Prometheus

/// A strategy as the simulator asks it: its effective limits, and the host's last word applied
/// as ``StrategyGuard`` applies it (nobody seated beyond `max_subrooms` or in a full sub-room; a
/// failed decision handed to the strategy's fallback), without the logs and the metrics.
struct SimulatedStrategy: Sendable {
    /// What the simulator makes of one request.
    struct Answer: Hashable, Sendable {
        /// What the host does: seat (an assignment), refuse, or give up on a failure.
        var result: Result<SubroomDecision, SubroomStrategyFailure>
        /// The strategy's own failure, even when its fallback answered.
        var failure: SubroomStrategyFailure?
        /// Whether the fallback gave `result`.
        var isFallback: Bool
        /// What the attempt cost, when metered.
        var fuel: UInt64?
    }

    /// `capacity`, `wasm spread.wasm`: how the strategy describes itself.
    let label: String
    let strategy: any SubroomStrategy
    let limits: SubroomLimits
    private let host: StrategyGuard

    /// The most participants one sub-room may hold, as the strategy declared it.
    var maxParticipants: Int? { host.maxParticipants }
    /// The line a chart draws: the declared maximum, else the capacity.
    var cap: Int { maxParticipants ?? limits.capacity }
    /// The fallback's name, when the strategy has one.
    var fallbackName: String? { (strategy as? any FallibleSubroomStrategy)?.fallback.map { type(of: $0).name } }

    /// `label` replaces the strategy's own description, to tell two alike apart.
    init(_ strategy: any SubroomStrategy, defaults: SubroomLimits, label: String? = nil) {
        self.strategy = strategy
        self.label = label ?? StrategyGuard.name(of: strategy)
        limits = strategy.limits(defaults: defaults)
        host = StrategyGuard(
            strategy: strategy, limits: limits, metrics: StrategyMetrics(registry: PrometheusCollectorRegistry()),
            logger: Logger(label: "echochat.simulate") { _ in SwiftLogNoOpLogHandler() })
    }

    /// Asks as the host would: `attempt` for a fallible strategy, else `decide`; then the caps.
    func ask(_ request: SubroomRequest, in snapshot: SubroomSnapshot, now: Date) -> Answer {
        let fallible = strategy as? any FallibleSubroomStrategy
        let attempt =
            fallible?.attempt(request, in: snapshot, now: now) ?? SubroomAttempt(.success(strategy.decide(request, in: snapshot, now: now)))
        let result = attempt.result.flatMap { host.check($0, in: snapshot) }
        guard case .failure(let failure) = result else {
            return Answer(result: result, failure: nil, isFallback: false, fuel: attempt.fuel)
        }
        guard let fallback = fallible?.fallback else {
            return Answer(result: result, failure: failure, isFallback: false, fuel: attempt.fuel)
        }
        // As StrategyGuard: the fallback works within the failed strategy's declared maximum.
        var limited = snapshot
        limited.limits.capacity = min(limits.capacity, maxParticipants ?? limits.capacity)
        let answer = host.check(fallback.decide(request, in: limited, now: now), in: snapshot)
        return Answer(result: answer, failure: failure, isFallback: true, fuel: attempt.fuel)
    }
}
